"""The live board in Chromium: P/L moves with no reload; a group-limited supervisor sees only
their group. A real daphne with the embedded relay, fed by the simulator."""

from __future__ import annotations

import pytest
import requests

from tests.support.browser import wait_for_js
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser

COUNT_MESSAGES = """document.addEventListener("htmx:wsAfterMessage",
  () => { window.__live = (window.__live || 0) + 1; });"""


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(
        staff={"sam": ("supervisor", []), "gina": ("supervisor", [6])},
        env={"REDIS_URL": "", "LIVE_RELAY": "embedded", "OMTRADER_URL": simulator.url,
             "OMTRADER_WS_URL": simulator.ws_url},
    )
    process.start()
    yield process
    process.stop()
    simulator.control(market_paused=False, event_rate=3.0)


def open_board(page, portal, username: str) -> None:
    page.add_init_script(COUNT_MESSAGES)
    page.goto(portal.url + "/login/?next=/live/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/live/")
    page.wait_for_selector("#live-positions tr[id^='pos-']")
    page.wait_for_selector("#live-status[data-state='live']")


def test_it_shows_a_position_s_new_p_and_l_without_a_reload(page, portal, simulator):
    simulator.control(market_paused=True)
    open_board(page, portal, "sam")
    page.evaluate("window.__marker = 'kept'")
    # A position without SL/TP, of an account far from its margin call: the shock moves its
    # P/L and cannot close it.
    at_risk = set(page.eval_on_selector_all(
        "#live-risk-all tbody tr[data-account]", "rows => rows.map(r => r.dataset.account)"))
    token = simulator.login()["access_token"]
    positions = requests.get(f"{simulator.url}/api/v1/manager/positions", params={"page": -1},
                             headers={"Authorization": f"Bearer {token}"},
                             timeout=10).json()["data"]["records"]
    plain = {p["id"] for p in positions if p["price_sl"] is None and p["price_tp"] is None
             and str(p["account_id"]) not in at_risk}
    shown = page.eval_on_selector_all(
        "#live-positions tr[id^='pos-']",
        "rows => rows.map(r => [r.id, r.cells[3].textContent, r.cells[8].textContent])")
    rows = [(row_id, symbol, pl) for row_id, symbol, pl in shown if int(row_id[4:]) in plain]
    symbol = rows[0][1]
    before = {row_id: pl for row_id, code, pl in rows if code == symbol}

    simulator.shock(symbol, 1)
    row_id = wait_for_js(
        page, """(before) => Object.keys(before).find(id => {
               const cell = document.getElementById(id + '-pl');
               return cell && cell.textContent !== before[id];
           })""", arg=before)
    cell = page.locator(f"#{row_id} td").nth(8)
    assert cell.get_attribute("id") == f"{row_id}-pl"  # the P/L column, swapped by itself
    after = float(cell.inner_text())
    assert ("neg" in cell.get_attribute("class")) == (after < 0)
    assert "flash" in cell.get_attribute("class")  # the brief highlight on change
    assert page.evaluate("window.__marker") == "kept"  # the same page: no reload
    assert page.locator("#live-status").inner_text() == "Live"
    assert page.locator("#live-exposure-all svg.exposure-chart").count() == 1


def test_it_never_shows_a_group_limited_supervisor_another_group_s_rows(page, portal,
                                                                       simulator):
    simulator.control(market_paused=False, event_rate=30)
    open_board(page, portal, "gina")
    shown = page.evaluate("window.__live")
    wait_for_js(page, f"window.__live > {shown + 15}", timeout=30000)  # plenty of traffic
    simulator.shock("EURUSD", -3)
    wait_for_js(page, f"window.__live > {shown + 25}", timeout=30000)

    groups = page.eval_on_selector_all("#live-positions tr[data-group]",
                                       "rows => rows.map(r => r.dataset.group)")
    assert groups and set(groups) == {"6"}
    assert page.locator("#live-risk-g6").count() == 1
    assert page.locator("#live-risk-all").count() == 0
    names = page.eval_on_selector_all("#live-risk-g6 tbody tr[data-account] td:nth-child(2)",
                                      "cells => cells.map(c => c.textContent)")
    assert set(names) <= {"Live Standard"}
    assert page.locator("select[name=group] option").all_inner_texts() == ["Live Standard"]


def test_it_adds_new_positions_and_removes_closed_ones_as_the_market_trades(page, portal,
                                                                            simulator):
    simulator.control(market_paused=False, event_rate=40)
    open_board(page, portal, "sam")
    first = set(page.eval_on_selector_all("#live-positions tr[id^='pos-']",
                                          "rows => rows.map(r => r.id)"))
    shown = page.evaluate("window.__live")
    wait_for_js(page, f"window.__live > {shown + 20}", timeout=30000)
    simulator.control(market_paused=True)
    token = simulator.login()["access_token"]

    def open_now() -> set[str]:
        records = requests.get(f"{simulator.url}/api/v1/manager/positions",
                               params={"page": -1}, headers={"Authorization": f"Bearer {token}"},
                               timeout=10).json()["data"]["records"]
        return {f"pos-{p['id']}" for p in records}

    truth = open_now()
    wait_for_js(
        page, """(truth) => {
             const ids = Array.from(document.querySelectorAll("#live-positions tr[id^='pos-']"),
                                    r => r.id);
             return ids.length === truth.length && ids.every(id => truth.includes(id));
           }""", arg=sorted(truth), timeout=30000)
    assert truth - first and first - truth  # some opened, some closed meanwhile
    assert page.locator("#live-feed tr[id^='feed-']").count() > 0
    count = page.locator("[data-live-count='#live-positions']").first.inner_text()
    assert count == f"({len(truth)})"
