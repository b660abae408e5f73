"""The open positions list in Chromium takes new positions from the relay without a reload
(a real daphne with the embedded relay, fed by the simulator)."""

from __future__ import annotations

import time

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
RECORD = ("() => { window.__seen = []; window.__since = Date.now(); "
          "document.addEventListener('htmx:wsBeforeMessage', "
          "(e) => { window.__seen.push(String(e.detail.message)); window.__last = Date.now(); "
          "}); }")
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


# The rows the watching page was told about (from its n-th message on).
SEEN_IDS = ("(n) => Array.from(new Set(window.__seen.slice(n || 0).flatMap((m) => "
            "Array.from(m.matchAll(/<tr id=\"(position-\\d+)\"/g), (x) => x[1]))))")
CHANGES = "() => Number(document.getElementById('trading-live-note').dataset.changes || 0)"


def counted_as_seen(page, other, first: int = 0, timeout: float = 10) -> int:
    """Waits until the page's count of changed rows equals the rows the watcher was told about
    (from its `first` message on), which may still be arriving: that number."""
    deadline = time.monotonic() + timeout
    while (counted := page.evaluate(CHANGES)) != (seen := len(other.evaluate(SEEN_IDS, first))):
        assert time.monotonic() < deadline, f"the page counted {counted}, the watcher saw {seen}"
        page.wait_for_timeout(50)
    return seen


def test_a_held_list_counts_each_changed_row_once_across_a_reconnect(page, portal, simulator):
    """The list cannot place rows (a side filter): it counts them. After the socket comes
    back, the snapshot resends the rows changed since the read: each is counted once, and
    those changed while the socket was down are counted too."""
    simulator.control(market_paused=True)
    gate = Gate(page)
    open_live(page, portal, "/trading/positions/?side=0")
    other = watcher(page, portal)
    step_until(page, simulator, f"() => ({CHANGES})() > 0")
    before = page.evaluate(CHANGES)
    assert before > 0
    gate.drop()
    wait_for_js(page, "() => document.getElementById('live-status').dataset.socket === 'down'")
    seen = len(other.evaluate(SEEN_IDS))
    for _ in range(15):
        simulator.step(5)
        try:
            wait_for_js(other, f"() => ({SEEN_IDS})().length > {seen}", timeout=3000)
            break
        except AssertionError:
            continue
    assert page.evaluate(CHANGES) == before  # the socket was down
    gate.open()
    wait_for_js(page, "() => { const s = document.getElementById('live-status');"
                      " return s.dataset.state === 'live' && !s.dataset.socket; }", timeout=30000)
    counted_as_seen(page, other)
    assert page.evaluate("window.__marker") == "kept"


def test_more_changes_than_a_snapshot_resends_reload_the_table_not_the_page(
        page, portal, simulator):
    simulator.control(market_paused=True)
    gate = Gate(page)
    open_live(page, portal, "/trading/positions/")
    other = watcher(page, portal)
    gate.drop()
    wait_for_js(page, "() => document.getElementById('live-status').dataset.socket === 'down'")
    for _ in range(10):
        simulator.step(60)
        if len(other.evaluate(SEEN_IDS)) > 220:  # more than the 200 a snapshot resends
            break
    wait_for_js(other, f"() => ({SEEN_IDS})().length > 220", timeout=10000)
    with page.expect_response(lambda r: r.url.endswith("/trading/positions/")
                              and r.request.headers.get("hx-request") == "true",
                              timeout=30000) as table:
        gate.open()
    assert table.value.ok
    wait_for_js(page, "() => !document.getElementById('live-status').dataset.socket")
    assert page.evaluate("window.__marker") == "kept"  # the table was read again, not the page


def test_a_list_read_again_skips_the_resent_rows_its_read_has(page, portal, simulator):
    """Rows a snapshot resends from before the table's latest read (the socket came back
    with the page's first address) are not counted; those changed while it was down are."""
    simulator.control(market_paused=True)
    gate = Gate(page)
    open_live(page, portal, "/trading/positions/?side=0")
    other = watcher(page, portal)
    step_until(page, simulator, f"() => ({CHANGES})() > 0")
    # Once the watcher has heard nothing for a second, the relay has taken the steps' every
    # change (CI: a step's last rows came after the first were counted): all before now.
    wait_for_js(other, "() => Date.now() - (window.__last || window.__since) > 1000")
    last = other.evaluate("Date.now()") / 1000
    for _ in range(100):  # read the table again, until its read is past the margin
        read_at = float(page.get_attribute("#trading-rows", "data-live-read-at"))
        if read_at - 1 > last:
            break
        page.evaluate("htmx.ajax('GET', location.pathname + location.search, "
                      "{target: '#trading-table', swap: 'outerHTML'})")
        wait_for_js(page, f"() => document.getElementById('trading-rows')"
                          f".dataset.liveReadAt !== '{read_at:.3f}'")
    assert read_at - 1 > last
    assert page.evaluate(CHANGES) == 0  # a fresh read: nothing counted
    gate.drop()
    down = other.evaluate("window.__seen.length")
    wait_for_js(page, "() => document.getElementById('live-status').dataset.socket === 'down'")
    for _ in range(15):
        simulator.step(5)
        try:
            wait_for_js(other, f"(n) => ({SEEN_IDS})(n).length > 0", arg=down, timeout=3000)
            break
        except AssertionError:
            continue
    gate.open()
    wait_for_js(page, "() => { const s = document.getElementById('live-status');"
                      " return s.dataset.state === 'live' && !s.dataset.socket; }", timeout=30000)
    assert counted_as_seen(page, other, down) > 0
    assert page.evaluate("window.__marker") == "kept"


def test_a_list_read_again_tells_its_socket_when(page, portal, simulator):
    """A filter change reads the table again; the page sends "reread <its read time>" on the
    socket, which resends what changed meanwhile (tests/live/test_trading_lists.py)."""
    simulator.control(market_paused=True)
    sent: list[str] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(
        frame if isinstance(frame, str) else frame.decode())))
    open_live(page, portal, "/trading/positions/")
    first = page.get_attribute("#trading-rows", "data-live-read-at")
    assert not [f for f in sent if f.startswith("reread")]  # the address says the first read
    page.select_option("#trading-filters select[name=size]", "100")
    page.wait_for_function(f"() => document.querySelector('#trading-rows')"
                           f".getAttribute('data-live-read-at') !== '{first}'")
    again = page.get_attribute("#trading-rows", "data-live-read-at")
    for _ in range(50):  # frames reach this process between Playwright's calls
        if f"reread {again}" in sent:
            break
        page.wait_for_timeout(100)
    assert f"reread {again}" in sent
    assert page.evaluate("window.__marker") == "kept"
