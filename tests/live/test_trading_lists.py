"""The trading lists' live rows: /ws/live/?view=positions and ?view=orders. The real relay
against the simulator renders each opened, changed or closed position and each placed or
ended pending order with the list's own row partial (trading/trading_list.html), and a
member's socket joins only the channel groups of their groups."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from channels.db import database_sync_to_async
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
        assert f'ws-connect="/ws/live/?view={name}"' in body
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
        for _ in range(12):
            omtrader.step(10)
            try:
                await theirs.until(lambda t: "#trading-rows" in t, timeout=3, what="rows")
                await mine.until(lambda t: "#trading-rows" in t, timeout=3, what="rows")
                await orders.until(lambda t: "#trading-rows" in t, timeout=3, what="orders")
                break
            except AssertionError:
                continue
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
