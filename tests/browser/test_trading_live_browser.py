"""The open positions list in Chromium takes new positions from the relay without a reload
(a real daphne with the embedded relay, fed by the simulator)."""

from __future__ import annotations

import pytest
import requests

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


# -- what the socket missed: after a reconnect, and between the page's read and the socket ----

SHOWN = ("() => Array.from(document.querySelectorAll('#trading-rows tr[id^=position-]'), "
         "(r) => Number(r.id.slice(9)))")
RECORD = ("() => { window.__seen = []; document.addEventListener('htmx:wsBeforeMessage', "
          "(e) => window.__seen.push(String(e.detail.message))); }")
# The first of `ids` whose closing the watching page was told about.
TOLD_GONE = ("(ids) => ids.find((id) => window.__seen.some((m) => new RegExp("
             "'<tr id=\"position-' + id + '\"[^>]*hx-swap-oob=\"delete\"').test(m)))")


def open_ids(simulator) -> set[int]:
    token = simulator.login()["access_token"]
    records = requests.get(f"{simulator.url}/api/v1/manager/positions", params={"page": -1},
                           headers={"Authorization": f"Bearer {token}"},
                           timeout=10).json()["data"]["records"]
    return {record["id"] for record in records}


def watcher(page, portal):
    """A second tab on the open positions, keeping every message its socket receives: it
    tells when the relay has taken a change."""
    other = page.context.new_page()
    other.goto(f"{portal.url}/trading/positions/")
    other.wait_for_selector("#live-status[data-state=live]", timeout=30000)
    other.evaluate(RECORD)
    return other


def close_one_of(simulator, other, ids: list[int]) -> int:
    """Step the market until one of `ids` closed upstream and the relay has taken it."""
    for _ in range(40):
        simulator.step(5)
        if set(ids) - open_ids(simulator):
            return wait_for_js(other, TOLD_GONE, arg=ids, timeout=10000)
    raise AssertionError("none of the positions shown closed in 200 simulated seconds")


class Gate:
    """Stands between the page and the portal's socket (Playwright's WebSocket routing): it
    passes the socket through, or drops it the way a restarting server does (1012, on which
    the htmx ws extension reconnects with the same address) and holds the reconnects."""

    def __init__(self, page):
        self.shut = False
        self.held: list = []
        self.current = None
        page.route_web_socket("**/ws/live/**", self._connect)

    def _connect(self, socket) -> None:
        if self.shut:
            self.held.append(socket)  # answered by nobody until opened
            return
        self.current = (socket, socket.connect_to_server())

    def drop(self) -> None:
        self.shut = True
        socket, server = self.current
        socket.close(code=1012, reason="service restart")
        server.close()

    def open(self) -> None:
        self.shut = False
        for socket in self.held:
            socket.close(code=1012, reason="service restart")


def test_a_position_closed_while_the_socket_was_down_goes_when_it_is_back(
        page, portal, simulator):
    simulator.control(market_paused=True)
    gate = Gate(page)
    open_live(page, portal, "/trading/positions/")
    other = watcher(page, portal)
    shown = page.evaluate(SHOWN)
    gate.drop()
    wait_for_js(page, "() => document.getElementById('live-status').dataset.socket === 'down'")
    closed = close_one_of(simulator, other, shown)
    assert page.locator(f"#position-{closed}").count() == 1  # the socket was down: still shown
    gate.open()
    wait_for_js(page, f"() => !document.getElementById('position-{closed}')", timeout=30000)
    assert page.evaluate("window.__marker") == "kept"  # the same page: no reload


def test_a_change_between_the_page_s_read_and_its_socket_shows_once_connected(
        page, portal, simulator):
    simulator.control(market_paused=True)
    open_live(page, portal, "/trading/orders/")  # signed in, the relay running
    other = watcher(page, portal)
    gate = Gate(page)
    gate.shut = True  # the page's socket comes after its read and the change
    page.goto(f"{portal.url}/trading/positions/")
    page.evaluate("window.__marker = 'kept'")
    closed = close_one_of(simulator, other, page.evaluate(SHOWN))
    assert page.locator(f"#position-{closed}").count() == 1
    gate.open()
    wait_for_js(page, f"() => !document.getElementById('position-{closed}')", timeout=30000)
    assert page.evaluate("window.__marker") == "kept"
