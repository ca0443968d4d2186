"""
WCAG 2.1 AA on every page type of the public portal: axe-core in headless Chromium, at desktop and mobile width.

The memorandum makes accessibility binding (BITV 2.0), and issue 4 asks for a browser test that fails on any
violation. Pages that do not exist yet fail with HTTP 404, on purpose: every page type must be served.
"""

import pytest

from tests.functional import browser
from tests.functional.browser import HTML_PAGES, WIDTHS

pytestmark = pytest.mark.functional

site = browser.site
chromium = browser.chromium


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page_type", HTML_PAGES)
def test_page_has_no_wcag_violations(site, chromium, page_type: str, width: str):
    """axe-core finds no WCAG 2.1 A/AA violation on the page (contrast, names, landmarks, language, …)."""
    with browser.visit(chromium, site, page_type, width, bypass_csp=True) as page:
        browser.require_ok(site, page_type, page)
        violations = browser.run_axe(page.page)
    assert not violations, (
        f"axe-core found {len(violations)} WCAG 2.1 AA violation(s) on {page.url} ({page_type}, {width}):\n"
        + browser.format_violations(violations)
    )


@pytest.mark.parametrize("page_type", HTML_PAGES)
def test_skip_link_comes_first_and_focus_is_visible(site, chromium, page_type: str):
    """The first Tab reaches a visible "skip to content" link whose target exists; focus is outlined."""
    with browser.visit(chromium, site, page_type) as page:
        browser.require_ok(site, page_type, page)
        page.page.keyboard.press("Tab")
        focused = page.page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                const box = el.getBoundingClientRect();
                const href = el.getAttribute("href") || "";
                return {
                    tag: el.tagName, href, text: el.textContent.trim(),
                    target: href.startsWith("#") && !!document.getElementById(href.slice(1)),
                    visible: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0,
                    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
                    shadow: style.boxShadow !== "none",
                };
            }"""
        )
    assert focused["tag"] == "A" and focused["href"].startswith("#"), f"the first Tab stop is no skip link: {focused}"
    assert focused["target"], f"the skip link points at {focused['href']}, which is not on the page"
    assert focused["visible"], f"the skip link stays off-screen when focused: {focused}"
    assert focused["outline"] or focused["shadow"], f"the focused skip link has no visible focus indicator: {focused}"


def test_axe_reports_a_violation_it_is_shown(site, chromium):
    """The check above can fail: an image without a text alternative added to the start page is reported."""
    with browser.visit(chromium, site, "start", bypass_csp=True) as page:
        browser.require_ok(site, "start", page)
        page.page.evaluate(
            """() => {
                const img = document.createElement("img");
                img.src = "/favicon.svg";
                document.querySelector("main").append(img);
            }"""
        )
        violations = browser.run_axe(page.page)
    assert "image-alt" in [violation["id"] for violation in violations], browser.format_violations(violations)
    assert "image-alt (critical)" in browser.format_violations(violations)
