"""BoardState: a market step's tick and profit updates make one consistent row."""

from __future__ import annotations

import time
from decimal import Decimal

from crmportal.live.state import PROFIT_WAIT
from crmportal.omtrader.stream import AccountSummaryEvent, PositionEvent, ProfitUpdate, Tick
from tests.live.test_render import board, row


def open_position(state):
    position = row().position
    state.apply(AccountSummaryEvent({"id": position.account_id, "group_id": 6, "client_id": 3}))
    state.apply(PositionEvent("open", position))
    state.dirty_rows.clear()
    return state.positions[position.id]


def tick(bid: str) -> Tick:
    price = Decimal(bid)
    return Tick(1, price, price + Decimal("0.0002"), price, Decimal(1), price, price)


def test_a_tick_waits_for_the_rows_profit_update():
    state = board()
    live = open_position(state)
    state.apply(tick("1.09000"))
    state.release_repriced(time.monotonic())
    assert live.id not in state.dirty_rows  # new price, old P/L: not a row to show yet

    state.apply(ProfitUpdate(live.id, Decimal("22.45"), Decimal("21.85")))
    assert live.id in state.dirty_rows and live.profit == Decimal("22.45")
    assert state.price_of(live) == Decimal("1.09000")
    state.release_repriced(time.monotonic() + PROFIT_WAIT)
    assert not state.repriced


def test_a_tick_without_a_profit_update_shows_the_new_price_after_a_moment():
    state = board()
    live = open_position(state)
    state.apply(tick("1.09000"))
    state.release_repriced(time.monotonic())
    assert live.id not in state.dirty_rows
    state.release_repriced(time.monotonic() + PROFIT_WAIT)
    assert live.id in state.dirty_rows and state.price_of(live) == Decimal("1.09000")


def test_a_closed_position_waits_for_nothing():
    state = board()
    live = open_position(state)
    state.apply(tick("1.09000"))
    state.apply(PositionEvent("close", live.position))
    state.release_repriced(time.monotonic() + PROFIT_WAIT)
    assert live.id not in state.dirty_rows and live.id in state.gone_rows
