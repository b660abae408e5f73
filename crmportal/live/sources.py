"""The polling source (LIVE_SOURCE=poll): the WebSocket's events, made from REST reads.

Every LIVE_POLL_INTERVAL seconds it reads the open positions, every account, the active orders
and the newest deals (concurrently), and diffs them against the previous read:

    new position -> PositionEvent("open")      gone -> PositionEvent("close")
    changed position (P/L, price, volume, SL/TP, swaps) -> PositionEvent("update")
    changed account money -> AccountSummaryEvent
    new active order -> OrderEvent("place")     gone -> its final state, read by id
    deal with a higher id than any seen -> DealEvent("create")

so the relay handles them exactly as it handles the stream's. The first read (and the first
after a failure) reconciles instead. The WebSocket source is crmportal.omtrader.stream.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from crmportal.omtrader.concurrent import gather
from crmportal.omtrader.entities import AccountSummary, Deal, Order, Position, TradingAccount
from crmportal.omtrader.errors import OMTraderError
from crmportal.omtrader.stream import (
    AccountSummaryEvent,
    DealEvent,
    Event,
    OrderEvent,
    PositionEvent,
)

log = logging.getLogger("crmportal.live")

DEALS_WINDOW = 200  # newest deals read per poll
ORDER_LOOKUPS = 20  # finished orders looked up per poll at most
FINAL_ACTIONS = {3: "update", 4: "cancel", 5: "rejected", 6: "expired", 7: "requote"}


@dataclass
class Read:
    accounts: dict[int, TradingAccount] = field(default_factory=dict)
    positions: dict[int, Position] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    deals: list[Deal] = field(default_factory=list)

    @property
    def last_deal(self) -> int:
        return max((d.id for d in self.deals), default=0)


def diff(before: Read, after: Read) -> list[Event]:
    """The events that turn `before` into `after` (finished orders not included)."""
    events: list[Event] = []
    for position_id, position in after.positions.items():
        old = before.positions.get(position_id)
        if old is None:
            events.append(PositionEvent("open", position))
        elif _position_changed(old, position):
            events.append(PositionEvent("update", position))
    for position_id, position in before.positions.items():
        if position_id not in after.positions:
            events.append(PositionEvent("close", position))
    for account_id, account in after.accounts.items():
        summary = AccountSummary.of(account)
        old = before.accounts.get(account_id)
        if old is None or AccountSummary.of(old) != summary:
            events.append(AccountSummaryEvent.of(summary))
    for order_id, order in after.orders.items():
        if order_id not in before.orders:
            events.append(OrderEvent("place", order))
    seen = before.last_deal
    events.extend(DealEvent("create", d) for d in sorted(after.deals, key=lambda d: d.id)
                  if d.id > seen)
    return events


def _position_changed(old: Position, new: Position) -> bool:
    return (old.profit, old.total_profit, old.price_current, old.volume_current, old.price_sl,
            old.price_tp, old.swaps) != (new.profit, new.total_profit, new.price_current,
                                         new.volume_current, new.price_sl, new.price_tp,
                                         new.swaps)


class PollSource:
    def __init__(self, relay: Any, interval: float):
        self.relay = relay
        self.interval = interval
        self.polls = 0

    @property
    def omtrader(self):
        return self.relay.omtrader

    async def run(self) -> None:
        previous: Read | None = None
        while True:
            try:
                current = await asyncio.to_thread(self._read)
                finished = []
                if previous is not None:
                    gone = [o for o in previous.orders if o not in current.orders]
                    finished = await asyncio.to_thread(self._finished, gone[:ORDER_LOOKUPS])
            except OMTraderError as error:
                log.warning("live poll failed: %s", error.message)
                self.relay.stream_down(f"poll failed: {error.message}")
                previous = None  # reconcile on the next good read
            else:
                self.polls += 1
                if previous is None:
                    self.relay.reconciled(current.accounts.values(), current.positions.values(),
                                          current.orders.values())
                else:
                    self.relay.apply_events(diff(previous, current) + finished)
                    self.relay.set_status("live")
                previous = current
            await asyncio.sleep(self.interval)

    def _read(self) -> Read:
        omt = self.omtrader
        got = gather(
            accounts=lambda: list(omt.iter_all(omt.list_accounts)),
            positions=lambda: list(omt.iter_all(omt.list_positions)),
            orders=lambda: list(omt.iter_all(omt.list_orders)),
            deals=lambda: list(omt.list_deals(limit=DEALS_WINDOW, sort_by="id",
                                              direction="DESC")),
        )
        return Read(
            accounts={a.id: a for a in got["accounts"]},
            positions={p.id: p for p in got["positions"]},
            orders={o.id: o for o in got["orders"]},
            deals=got["deals"],
        )

    def _finished(self, order_ids: list[int]) -> list[Event]:
        events: list[Event] = []
        for order_id in order_ids:
            try:
                order = self.omtrader.get_order(order_id)
            except OMTraderError:
                continue
            code = order.status.code if order.status else None
            if code in FINAL_ACTIONS:
                events.append(OrderEvent(FINAL_ACTIONS[code], order))
        return events
