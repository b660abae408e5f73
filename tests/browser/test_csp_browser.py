"""Chromium walks every page under the Content Security Policy and meets no violation.

The walk signs in as an Administrator (who sees every area), follows every same-origin link in
the top navigation and, from there, the links in the pages below (one page per shape of URL,
ids counted as one), so areas added later are walked without changing this test.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.browser import shape, walk
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || location.pathname}:${e.lineNumber}`);
}, true);"""
# Besides the top navigation, these must be walked (shapes: digits stand for any id).
REQUIRED = {"/", "/clients/", "/clients/N/", "/clients/N/edit/", "/kyc/", "/kyc/N/", "/audit/",
            "/live/"}
SKIP = re.compile(r"^/(logout|static)/|\.csv$")


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(env={"REDIS_URL": "", "LIVE_RELAY": "embedded",
                                 "OMTRADER_URL": simulator.url,
                                 "OMTRADER_WS_URL": simulator.ws_url})
    process.start()
    process.manage("createstaff", "ada", "--role", "administrator", "--all-groups",
                   "--password-stdin", stdin=PASSWORD + "\n")
    yield process
    process.stop()


@pytest.fixture
def watched(page):
    """The page, and every CSP violation (events and console) on it across navigations."""
    violations: list[str] = []
    page.expose_function("__cspViolation", lambda text: violations.append(f"{page.url}: {text}"))
    page.add_init_script(REPORT_VIOLATIONS)

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or "evalDisallowed" in text:
            violations.append(f"{page.url}: console: {text}")

    page.on("console", on_console)
    return page, violations


def test_it_walks_every_page_without_a_csp_violation(watched, portal):
    page, violations = watched
    origin = portal.url
    page.goto(origin + "/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to see you')")
    nav = page.eval_on_selector_all("nav.areas a[href]",
                                    "links => links.map(a => a.getAttribute('href'))")
    assert len(nav) >= 5, nav  # an Administrator sees every area

    walked = set()
    for url, response in walk(page, origin, [urljoin(origin + "/", href) for href in nav], SKIP):
        assert "content-security-policy" in response.headers, url
        walked.add(shape(urlsplit(url).path))

    assert REQUIRED <= set(walked), sorted(set(walked))
    assert violations == []


def test_it_keeps_htmx_and_the_board_s_group_picker_working_under_the_policy(watched, portal):
    page, violations = watched
    page.goto(portal.url + "/login/?next=/clients/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#client-table tbody tr")
    page.evaluate("window.__marker = 'kept'")
    page.fill("input[name=q]", "zzzz-nobody")
    page.wait_for_selector("text=No client matches these filters")
    assert page.evaluate("window.__marker") == "kept"  # an htmx swap, not a reload

    page.goto(portal.url + "/live/")
    page.wait_for_selector("#live-status[data-state='live']")
    options = page.eval_on_selector_all("select[name=group] option[value]:not([value=''])",
                                        "options => options.map(o => o.value)")
    page.select_option("select[name=group]", options[0])  # data-autosubmit (portal.js)
    page.wait_for_url(re.compile(rf"/live/\?group={options[0]}$"))
    page.wait_for_selector("#live-status[data-state='live']")
    assert violations == []
