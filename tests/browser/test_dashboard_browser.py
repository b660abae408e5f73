"""The dashboard in Chromium: every panel replaces its skeleton by itself, and the
supervisor's margin-call count changes without a reload when the simulator moves the market.
A real daphne with the embedded relay, fed by the simulator."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import at_margin_call, toward_margin_call
from tests.support.browser import wait_for_js
from tests.support.portal import PortalProcess, embedded_env
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(
        staff={"sam": ("supervisor", [])},
        env=embedded_env(simulator),
    )
    process.start()
    yield process
    process.stop()
    simulator.control(market_paused=False, event_rate=3.0)


def test_the_supervisor_s_margin_call_count_changes_live(page, portal, simulator):
    simulator.control(market_paused=True)
    page.goto(portal.url + "/login/?next=/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Good to see you, sam')")
    # Every panel loads by itself into the place of its skeleton.
    wait_for_js(page, "document.querySelectorAll('[aria-busy=true]').length === 0")
    assert page.locator("#panel-exposure svg.exposure-chart").count() == 1
    page.wait_for_selector("#live-status[data-state='live']")
    wait_for_js(page, "/^\\d+$/.test(document.getElementById('dash-mc-all').dataset.count)")
    page.evaluate("window.__marker = 'kept'")
    before = page.locator("#dash-mc-all").inner_text()

    symbol, step = toward_margin_call(simulator)
    changed = False
    for _ in range(40):  # small steps until some account crosses its group's line
        simulator.shock(symbol, step)
        try:
            wait_for_js(page, "(before) => document.getElementById('dash-mc-all').textContent"
                              " !== before", arg=before, timeout=2500)
        except AssertionError:
            continue
        changed = True
        break
    assert changed
    assert page.evaluate("window.__marker") == "kept"  # no reload
    # Settled, the figure is OMTrader's own count of accounts at margin call.
    wait_for_js(page, "(n) => document.getElementById('dash-mc-all').textContent === String(n)",
                arg=at_margin_call(simulator), timeout=10000)
    href = page.locator("#dash-mc-all").get_attribute("href")
    # The figure links to the list behind it: the accounts at margin call (OMTrader's status).
    assert href == "/accounts/?liquidation=1"


def test_with_the_relay_running_the_supervisor_panels_read_its_picture(page, portal):
    """Once the dashboard's socket started the embedded relay, the market panels are computed
    from the relay's own picture (no REST read of the whole book)."""
    page.goto(portal.url + "/login/?next=/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#live-status[data-state='live']")
    for _ in range(8):  # a read older than DASHBOARD_MARKET_MAX_AGE is refreshed behind
        page.wait_for_timeout(1500)
        page.reload()
        wait_for_js(page, "document.querySelectorAll('[aria-busy=true]').length === 0")
        if "the live relay" in page.locator("#panel-exposure").inner_text():
            break
    assert "the live relay" in page.locator("#panel-exposure").inner_text()
    assert page.locator("#panel-exposure svg.exposure-chart").count() == 1
