"""
No request leaves the site: loading any page type of the portal asks only the portal's own host.

Citizens are not tracked, and pages work behind restrictive networks: fonts and assets are self-hosted,
there is no CDN and no analytics (issue 4). Every request of the browser context is recorded, including
those of frames and workers; loads the Content Security Policy blocks are caught from the console.
"""

import pytest

from tests.functional import browser
from tests.functional.browser import PAGES, WIDTHS

pytestmark = pytest.mark.functional

site = browser.site
chromium = browser.chromium

RESOURCE_URLS = """() => {
    const urls = [];
    const selector = "script[src], img[src], img[srcset], source[src], source[srcset], iframe[src], "
        + "video[src], video[poster], audio[src], embed[src], object[data], link[href], use[href]";
    for (const el of document.querySelectorAll(selector)) {
        if (el.tagName === "LINK" && !/stylesheet|icon|preload|prefetch|modulepreload|manifest|preconnect|dns-prefetch/i
                .test(el.getAttribute("rel") || "")) continue;
        for (const attr of ["src", "href", "data", "poster"]) {
            const value = el.getAttribute(attr);
            if (value) urls.push(new URL(value, document.baseURI).href);
        }
        for (const attr of ["srcset"]) {
            const value = el.getAttribute(attr);
            if (value) for (const part of value.split(",")) {
                const url = part.trim().split(/\\s+/)[0];
                if (url) urls.push(new URL(url, document.baseURI).href);
            }
        }
    }
    for (const sheet of document.styleSheets) {
        try { for (const rule of sheet.cssRules) {
            for (const match of rule.cssText.matchAll(/url\\(["']?([^"')]+)["']?\\)/g)) {
                urls.push(new URL(match[1], sheet.href || document.baseURI).href);
            }
        } } catch (e) { urls.push(sheet.href); }  // a cross-origin stylesheet hides its rules
    }
    return urls;
}"""
"""Every resource the page references: elements that load something, and url(…) in its stylesheets."""


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page_type", list(PAGES))
def test_page_loads_nothing_from_other_hosts(site, chromium, page_type: str, width: str):
    """Every request while loading and scrolling the page goes to the portal's host; the CSP blocks nothing."""
    with browser.visit(chromium, site, page_type, width) as page:
        browser.require_ok(site, page_type, page)
        page.page.evaluate("window.scrollTo(0, document.body ? document.body.scrollHeight : 0)")  # lazy images
        page.page.wait_for_timeout(300)
        referenced = page.page.evaluate(RESOURCE_URLS) if page_type != "sitemap" else []
        requested = list(page.requests)
    assert requested, "the browser recorded no request at all: the recorder is broken"
    foreign = browser.foreign_requests(site, requested)
    assert not foreign, f"{page.url} ({page_type}, {width}) requested other hosts than {site.netloc}:\n" + "\n".join(
        f"  {url}" for url in foreign
    )
    foreign_refs = browser.foreign_requests(site, referenced)
    assert not foreign_refs, f"{page.url} ({page_type}) references resources on other hosts:\n" + "\n".join(
        f"  {url}" for url in sorted(set(foreign_refs))
    )
    assert not page.csp_reports, f"{page.url} ({page_type}) tried loads the CSP blocked:\n" + "\n".join(
        f"  {report}" for report in page.csp_reports
    )


def test_recorder_sees_a_request_to_another_host(site, chromium):
    """The test above can fail: an image from another host added to the start page shows up as foreign."""
    with browser.visit(chromium, site, "start", bypass_csp=True) as page:
        browser.require_ok(site, "start", page)
        page.page.evaluate(
            """() => new Promise((done) => {
                const img = new Image();
                img.onload = img.onerror = () => done();
                img.src = "http://tracker.invalid/pixel.gif";
            })"""
        )
        requested = list(page.requests)
    assert browser.foreign_requests(site, requested) == ["http://tracker.invalid/pixel.gif"], requested
