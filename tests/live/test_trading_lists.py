"""The trading lists' live rows: /ws/live/?view=positions and ?view=orders. The real relay
against the simulator renders each opened, changed or closed position and each placed or
ended pending order with the list's own row partial (trading/trading_list.html), and a
member's socket joins only the channel groups of their groups."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from crmportal.live.publish import list_audience
from crmportal.live.relay import Relay
from crmportal.live.state import BoardState
from crmportal.live.watches import Watch
from crmportal.omtrader.entities import Order
from crmportal.omtrader.stream import OrderEvent
from crmportal.staff.roles import BACK_OFFICE, COMPLIANCE
from tests.live.conftest import LiveSocket, running, session_cookie, wait_for
from tests.live.test_client_panel import every
from tests.support.staff import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]

LIST_ROW = re.compile(r'<tr id="(position|order)-(\d+)" data-live-into="#trading-rows" '
                      r'data-group="(\d*)" data-account="(\d+)"[^>]*?( hx-swap-oob="delete")?>')


def pushed(socket: LiveSocket, name: str) -> list[tuple[int, str, bool]]:
    """(id, group, gone) of every row of the list `name` the socket received."""
    return [(int(i), group, bool(gone)) for text in socket.received
            for prefix, i, group, _, gone in LIST_ROW.findall(text) if prefix == name]


def busiest_group(simulator) -> int:
    accounts = {a["id"]: a["group_id"] for a in every(simulator, "accounts")}
    counts = Counter(accounts[p["account_id"]] for p in every(simulator, "positions"))
    return counts.most_common(1)[0][0]


def test_the_list_pages_open_a_socket_and_no_longer_poll(client, omtrader, make_staff):
    make_staff("bo", BACK_OFFICE)
    assert client.login(username="bo", password=PASSWORD)
    for name, url in (("positions", "trading-list-positions"), ("orders", "trading-list-orders")):
        body = client.get(reverse(url)).content.decode()
        assert f'ws-connect="/ws/live/?view={name}&amp;since=' in body
        assert "hx-trigger=\"every" not in body
        assert 'data-live-hold' not in body  # newest first, no filter: rows go in
    held = client.get(reverse("trading-list-positions") + "?pl=loss").content.decode()
    assert 'data-live-hold="#trading-live-note"' in held  # a filter a row is not matched on
    matched = client.get(reverse("trading-list-positions") + "?group=6").content.decode()
    assert 'data-live-match-group="6"' in matched and "data-live-hold" not in matched
    paged = client.get(reverse("trading-list-orders") + "?sort=id").content.decode()
    assert "data-live-hold" in paged  # another order: a new row has no place to go


async def test_positions_and_orders_are_pushed_within_the_member_s_groups(
        omtrader, layer, make_staff):
    omtrader.control(market_paused=True)
    group = busiest_group(omtrader)
    limited = await database_sync_to_async(make_staff)("bo", BACK_OFFICE, [group])
    everyone = await database_sync_to_async(make_staff)("co", COMPLIANCE)
    relay = Relay(layer=layer)
    async with running(relay):
        mine = LiveSocket("/ws/live/?view=positions", await session_cookie(limited))
        theirs = LiveSocket("/ws/live/?view=positions", await session_cookie(everyone))
        orders = LiveSocket("/ws/live/?view=orders", await session_cookie(everyone))
        for socket in (mine, theirs, orders):
            assert (await socket.connect())[0]
            await socket.until(lambda t: 'id="live-status"' in t, timeout=20, what="a snapshot")
        await wait_for(lambda: relay.stats()["watching"]["lists"] == 2 and relay.ready,
                       timeout=20, what="both lists watched, the relay ready")
        for _ in range(36):  # until each socket has rows; the unrestricted one of two groups
            omtrader.step(10)  # and a newly opened position among them
            for socket in (theirs, mine, orders):
                await socket.drain(0.5)
            seen = pushed(theirs, "position")
            if (pushed(mine, "position") and pushed(orders, "order")
                    and len({g for _, g, _ in seen}) > 1 and any(not gone for _, _, gone in seen)):
                break
        everyone_saw, member_saw = pushed(theirs, "position"), pushed(mine, "position")
        assert member_saw and everyone_saw and pushed(orders, "order")
        assert {g for _, g, _ in member_saw} == {str(group)}
        assert len({g for _, g, _ in everyone_saw}) > 1  # the others' rows went elsewhere
        assert not pushed(theirs, "order") and not pushed(orders, "position")
        opened = next(i for i, _, gone in everyone_saw if not gone)
        assert f'href="/trading/positions/{opened}/"' in "".join(theirs.received)
        for socket in (mine, theirs, orders):
            await socket.close()


def test_a_pending_order_is_listed_until_it_ends_and_a_market_order_never():
    state = BoardState()
    pending = {"id": 5, "account_id": 1, "type": 2, "status": 0, "symbol_id": 1}
    state.apply(OrderEvent("place", Order.from_wire(pending)))
    assert 5 in state.orders and ("orders", 5) in state.list_changed
    state.list_changed.clear()
    state.apply(OrderEvent("cancel", Order.from_wire({**pending, "status": 4})))
    assert 5 not in state.orders and ("orders", 5) in state.list_gone
    state.list_gone.clear()
    market = {**pending, "id": 6, "type": 0}
    state.apply(OrderEvent("place", Order.from_wire(market)))
    state.apply(OrderEvent("update", Order.from_wire({**market, "status": 3})))
    assert not state.orders and not state.list_changed and not state.list_gone


def test_a_list_watch_travels_and_joins_its_list_s_groups_only():
    view = Watch.from_message(Watch("orders", frozenset({6, 4})).to_message())
    assert view == Watch("orders", frozenset({4, 6}))
    assert view.audiences() == [list_audience("orders", 4), list_audience("orders", 6)]
    assert Watch("positions", None).audiences() == ["live.list.positions.all"]
    with pytest.raises(ValueError):
        list_audience("deals", 6)


async def test_a_member_without_view_trading_gets_no_list_socket(omtrader, layer, roleless):
    socket = LiveSocket("/ws/live/?view=positions", await session_cookie(roleless))
    assert not (await socket.connect())[0]


# -- what a list's socket missed: the relay's recent changes, from the page's read on ---------

SINCE = re.compile(r'ws-connect="/ws/live/\?view=(?:positions|orders)&amp;since=([\d.]+)"')
SNAPSHOT_ROW = re.compile(r'<tr id="position-(\d+)" [^>]*?data-group="(\d+)"[^>]*? '
                          r'data-live-at="([\d.]+)"')


@database_sync_to_async
def read_list(user, name: str) -> str:
    """The list page as a browser reads it: the `since` its socket's address carries."""
    page = Client()
    page.force_login(user)
    body = page.get(reverse(f"trading-list-{name}")).content.decode()
    read_at = re.search(r'id="trading-rows" data-live-read-at="([\d.]+)"', body).group(1)
    since = SINCE.search(body).group(1)
    assert since == read_at
    return since


def changed_positions(relay: Relay, after: float) -> dict[int, int]:
    """Position id -> group of the changes the relay took after `after` (its buffer)."""
    return {c.record_id: c.group_id for c in relay.list_recent
            if c.name == "positions" and c.stamp >= after}


async def step_until(omtrader, condition, what: str) -> None:
    for _ in range(20):
        omtrader.step(5)
        try:
            await wait_for(condition, timeout=2, what=what)
            return
        except AssertionError:
            continue
    raise AssertionError(f"no {what} after 100 simulated seconds")


async def snapshot_of(path: str, cookie: str) -> str:
    socket = LiveSocket(path, cookie)
    assert (await socket.connect())[0]
    await socket.until(lambda t: 'data-state="live"' in t, timeout=20, what="a snapshot")
    await socket.close()
    return "".join(socket.received)


async def test_a_change_after_the_page_s_read_comes_with_the_socket_s_snapshot(
        omtrader, layer, make_staff):
    """Nobody watches the list while it changes: the socket that connects after gets it."""
    omtrader.control(market_paused=True)
    group = busiest_group(omtrader)
    limited = await database_sync_to_async(make_staff)("bo", BACK_OFFICE, [group])
    everyone = await database_sync_to_async(make_staff)("co", COMPLIANCE)
    relay = Relay(layer=layer)
    async with running(relay):
        await wait_for(lambda: relay.ready, timeout=30, what="the relay ready")
        since = await read_list(everyone, "positions")
        await step_until(omtrader, lambda: len(set(changed_positions(relay, 0).values())) > 1
                         and group in changed_positions(relay, 0).values(),
                         "positions changed in two groups, one the member's")
        assert not relay.lists_watched  # nobody watched: the changes were cleared unrendered
        changed = changed_positions(relay, 0)
        mine = {pid for pid, g in changed.items() if g == group}

        html = await snapshot_of(f"/ws/live/?view=positions&since={since}",
                                 await session_cookie(everyone))
        sent = {int(pid): int(g) for pid, g, _ in SNAPSHOT_ROW.findall(html)}
        assert set(changed) <= set(sent)
        assert all(float(at) >= float(since) - 1 for _, _, at in SNAPSHOT_ROW.findall(html))

        own = await snapshot_of(f"/ws/live/?view=positions&since={since}",
                                await session_cookie(limited))
        sent = {int(pid): int(g) for pid, g, _ in SNAPSHOT_ROW.findall(own)}
        assert mine <= set(sent) and set(sent.values()) == {group}  # no row of another group
        assert 'id="order-' not in html + own


async def test_a_relay_that_cannot_reach_back_to_the_page_s_read_says_reload(
        omtrader, layer, make_staff):
    omtrader.control(market_paused=True)
    everyone = await database_sync_to_async(make_staff)("co", COMPLIANCE)
    cookie = await session_cookie(everyone)
    before = time.time() - 60  # a page read before this relay began
    relay = Relay(layer=layer)
    async with running(relay):
        await wait_for(lambda: relay.ready, timeout=30, what="the relay ready")
        html = await snapshot_of(f"/ws/live/?view=orders&since={before:.3f}", cookie)
        marker = re.search(r'<template id="live-list-reload" data-live-reload="([\d.]+)">', html)
        assert marker and float(marker.group(1)) > before
        for path in ("/ws/live/?view=orders", "/ws/live/?view=orders&since=soon",
                     f"/ws/live/?view=orders&since={time.time() + 5:.3f}"):
            assert "live-list-reload" not in await snapshot_of(path, cookie), path


async def test_a_list_read_again_gets_what_changed_since_that_read(omtrader, layer, make_staff):
    """Rows pushed while a table was being read again reached the table it replaced: the page
    says "reread <its read time>" and the socket resends what changed since."""
    omtrader.control(market_paused=True)
    everyone = await database_sync_to_async(make_staff)("co", COMPLIANCE)
    relay = Relay(layer=layer)
    async with running(relay):
        await wait_for(lambda: relay.ready, timeout=30, what="the relay ready")
        socket = LiveSocket(f"/ws/live/?view=positions&since={time.time():.3f}",
                            await session_cookie(everyone))
        assert (await socket.connect())[0]
        await socket.until(lambda t: 'data-state="live"' in t, timeout=20, what="a snapshot")
        read_at = time.time()
        await step_until(omtrader, lambda: changed_positions(relay, read_at + 1),
                         "a position changed after the table's read")
        changed = set(changed_positions(relay, read_at + 1))
        await socket.until(lambda t: any(f'id="position-{pid}"' in t for pid in changed),
                           what="the change pushed")
        assert not SNAPSHOT_ROW.findall("".join(socket.received))  # pushes carry no stamp
        await socket.communicator.send_to(text_data=f"reread {read_at:.3f}")
        await socket.until(lambda t: {int(pid) for pid, _, _ in SNAPSHOT_ROW.findall(t)}
                           & changed, what="the change resent, stamped")
        await socket.communicator.send_to(text_data="reread soon")  # not a time: ignored
        socket.received.clear()
        await socket.until(lambda t: 'id="live-status"' in t, timeout=15,
                           what="the socket still open after a bad reread")
        await socket.close()
