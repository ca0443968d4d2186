"""
Screenshots of every page type at desktop (1280 px) and mobile (390 px) width, for people to look at.

They land in ``.artifacts/screenshots/<page type>-<width>.png``. The test also checks that the page rendered
non-trivially: HTTP 200, the stylesheet applied, a heading and some text, no horizontal scrolling on a
phone, and a picture that is more than one colour.
"""

import pytest
from PIL import Image, ImageStat

from tests.functional import browser
from tests.functional.browser import HTML_PAGES, SCREENSHOTS, WIDTHS

pytestmark = pytest.mark.functional

site = browser.site
chromium = browser.chromium

MIN_TEXT = 80
"""Characters of visible text a page shows at least (header and footer alone have about that many)."""

RENDERED = """() => {
    const h1 = document.querySelector("h1");
    const main = document.querySelector("main");
    return {
        title: document.title,
        h1: h1 ? h1.innerText.trim() : "",
        h1Visible: !!h1 && h1.getBoundingClientRect().height > 0,
        mainText: main ? main.innerText.trim().length : 0,
        sheets: [...document.styleSheets].filter((sheet) => {
            try { return sheet.cssRules.length > 0; } catch (e) { return false; }
        }).length,
        fontFamily: getComputedStyle(document.body).fontFamily,
        scrollWidth: document.documentElement.scrollWidth,
        viewportWidth: window.innerWidth,
    };
}"""


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page_type", HTML_PAGES)
def test_screenshot(site, chromium, page_type: str, width: str):
    """The page renders with styles, a visible heading and content, fits the width, and is photographed."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{page_type}-{WIDTHS[width][0]}.png"
    target.unlink(missing_ok=True)
    with browser.visit(chromium, site, page_type, width) as page:
        browser.require_ok(site, page_type, page)
        page.page.screenshot(path=str(target), full_page=True)
        rendered = page.page.evaluate(RENDERED)
    where = f"{page.url} ({page_type}, {width}); screenshot {target.relative_to(browser.ROOT)}"
    assert rendered["title"].strip(), f"{where}: the page has no <title>"
    assert rendered["sheets"] >= 1, f"{where}: no stylesheet applied"
    assert "serif" not in rendered["fontFamily"].replace("sans-serif", ""), f"{where}: browser default font"
    assert rendered["h1Visible"] and rendered["h1"], f"{where}: no visible <h1>"
    assert rendered["mainText"] >= MIN_TEXT, f"{where}: only {rendered['mainText']} characters of content in <main>"
    assert rendered["scrollWidth"] <= rendered["viewportWidth"], (
        f"{where}: the page is {rendered['scrollWidth']} px wide in a {rendered['viewportWidth']} px viewport "
        f"(scrolls sideways)"
    )
    with Image.open(target) as image:
        assert image.width == WIDTHS[width][0], f"{where}: {image.width} px wide"
        darkest, lightest = ImageStat.Stat(image.convert("L")).extrema[0]
        assert lightest - darkest > 64, f"{where}: the screenshot is (nearly) one colour"
