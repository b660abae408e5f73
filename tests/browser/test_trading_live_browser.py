"""The open positions list in Chromium takes new positions from the relay without a reload
(a real daphne with the embedded relay, fed by the simulator)."""

from __future__ import annotations

import pytest

from tests.support.browser import wait_for_js
from tests.support.portal import PortalProcess, embedded_env
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser

NEWEST = ("() => Math.max(0, ...Array.from(document.querySelectorAll("
          "'#trading-rows tr[id^=position-]'), (r) => Number(r.id.slice(9))))")


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(
        staff={"bo": ("backoffice", None)},
        env=embedded_env(simulator),
    )
    process.start()
    yield process
    process.stop()
    simulator.control(market_paused=False)


def open_live(page, portal, path: str) -> None:
    page.goto(f"{portal.url}/login/?next={path}")
    page.fill("#id_username", "bo")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.wait_for_load_state()
    page.evaluate("window.__marker = 'kept'")
    page.wait_for_selector("#live-status[data-state=live]", timeout=30000)


def step_until(page, simulator, expression: str) -> None:
    for _ in range(15):
        simulator.step(5)
        try:
            wait_for_js(page, expression, timeout=3000)
            return
        except AssertionError:
            continue


def test_a_new_position_appears_on_the_open_positions_without_reload(page, portal, simulator):
    simulator.control(market_paused=True)
    open_live(page, portal, "/trading/positions/")
    newest = page.evaluate(NEWEST)
    rows = page.locator("#trading-rows tr[id^=position-]").count()
    step_until(page, simulator, f"() => ({NEWEST})() > {newest}")
    fresh = page.evaluate(NEWEST)
    assert fresh > newest
    row = page.locator(f"#position-{fresh}")
    assert row.locator(f"a[href='/trading/positions/{fresh}/']").count() == 1
    assert page.locator("#trading-rows tr[id^=position-]").count() <= max(rows, 50)
    assert page.evaluate("window.__marker") == "kept"  # the same page: no reload
    assert page.locator("#trading-live-note").is_hidden()


def test_a_filter_the_browser_cannot_match_counts_changes_instead(page, portal, simulator):
    simulator.control(market_paused=True)
    open_live(page, portal, "/trading/positions/?side=0")
    newest = page.evaluate(NEWEST)
    step_until(page, simulator, "() => !document.getElementById('trading-live-note').hidden")
    note = page.inner_text("#trading-live-note")
    assert "since this list was read" in note and note.split()[0].isdigit()
    assert page.evaluate(NEWEST) == newest  # nothing was put into the filtered list
    assert page.evaluate("window.__marker") == "kept"
