"""What the relay knows about the market right now, and what changed since the last flush.

Events are applied at once (so a snapshot is always current); the flush loop takes the
changes (`dirty_rows`, `gone_rows`, `dirty_groups`, `new_feed`) and renders them. Positions
carry no group upstream: the group and client come from the position's account.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crmportal.omtrader.entities import (
    AccountSummary,
    Group,
    Order,
    Position,
    Symbol,
    TradingAccount,
)
from crmportal.omtrader.parsing import quantize
from crmportal.omtrader.stream import (
    AccountSummaryEvent,
    BadFrame,
    DealEvent,
    Event,
    Notice,
    OrderEvent,
    PositionEvent,
    ProfitUpdate,
    Tick,
)

log = logging.getLogger("crmportal.live")

FEED_KEEP = 200
NEAR_MARGIN_CALL = Decimal("1.5")  # within 150% of the group's margin-call level: warn
PROFIT_WAIT = 0.1  # seconds a repriced row waits for its profit update
BUY = 0
PENDING = (0, 1, 2)  # ModelOrderStatus placed, started, partially filled
MARKET = 0  # ModelOrderType market_order: filled at once, never a pending order


@dataclass(slots=True)
class LivePosition:
    position: Position
    group_id: int | None
    client_id: int | None
    profit: Decimal | None
    total_profit: Decimal | None

    @property
    def id(self) -> int:
        return self.position.id

    @property
    def account_id(self) -> int | None:
        return self.position.account_id

    def differs_from(self, other: Position) -> bool:
        mine = self.position
        return (
            self.profit != other.profit or self.total_profit != other.total_profit
            or mine.price_current != other.price_current
            or mine.volume_current != other.volume_current
            or mine.price_sl != other.price_sl or mine.price_tp != other.price_tp
            or mine.swaps != other.swaps
        )


@dataclass(slots=True)
class FeedItem:
    n: int
    at: datetime
    kind: str  # deal, order, alert
    label: str
    badge: str
    account_id: int | None
    group_id: int | None
    symbol: str = ""
    side: str = ""
    volume: Decimal | None = None
    price: Decimal | None = None
    profit: Decimal | None = None
    message: str = ""
    html: str = ""


@dataclass(slots=True)
class ExposureRow:
    symbol: str
    positions: int = 0
    buy: Decimal = Decimal(0)
    sell: Decimal = Decimal(0)
    notional: Decimal | None = Decimal(0)  # net, USD
    profit: Decimal | None = Decimal(0)  # floating, USD

    @property
    def net(self) -> Decimal:
        return self.buy - self.sell


@dataclass(slots=True)
class RiskRow:
    summary: AccountSummary
    group: Group | None
    ratio: Decimal
    status: str  # stop_out, margin_call, near, ok


@dataclass
class BoardState:
    positions: dict[int, LivePosition] = field(default_factory=dict)
    accounts: dict[int, AccountSummary] = field(default_factory=dict)
    # Summaries received but not parsed yet (see AccountSummaryEvent): settle() parses them.
    unsettled: dict[int, AccountSummaryEvent] = field(default_factory=dict)
    bad_payloads: int = 0
    account_group: dict[int, int] = field(default_factory=dict)
    account_client: dict[int, int | None] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    symbols: dict[int, Symbol] = field(default_factory=dict)
    quotes: dict[int, Tick] = field(default_factory=dict)
    by_symbol: dict[int, set[int]] = field(default_factory=dict)
    by_account: dict[int, set[int]] = field(default_factory=dict)
    feed: deque[FeedItem] = field(default_factory=lambda: deque(maxlen=FEED_KEEP))
    # Changes since the last flush.
    dirty_rows: dict[int, None] = field(default_factory=dict)  # an ordered set
    repriced: dict[int, float] = field(default_factory=dict)  # row -> when its symbol ticked
    gone_rows: dict[int, LivePosition] = field(default_factory=dict)
    dirty_groups: set[int] = field(default_factory=set)
    new_feed: list[FeedItem] = field(default_factory=list)
    # Pending orders (the trading list /trading/orders/), from REST and order events.
    orders: dict[int, Order] = field(default_factory=dict)
    # Changes for the trading lists (open positions, pending orders) since the last flush:
    # ("positions" | "orders", id) -> the record as it is now, or as it was when it went.
    list_changed: dict[tuple[str, int], Position | Order] = field(default_factory=dict)
    list_gone: dict[tuple[str, int], Position | Order] = field(default_factory=dict)
    unknown_accounts: set[int] = field(default_factory=set)
    unknown_symbols: set[int] = field(default_factory=set)
    unknown_groups: set[int] = field(default_factory=set)
    _feed_n: int = 0
    _usd: dict[str, tuple[int, bool]] = field(default_factory=dict)
    _rates: dict[str, Decimal | None] = field(default_factory=dict)

    # -- reference data --------------------------------------------------------------------

    def set_reference(self, groups: Iterable[Group], symbols: Iterable[Symbol]) -> None:
        self.groups = {g.id: g for g in groups}
        self.symbols = {s.id: s for s in symbols}
        self._usd = {}
        for symbol in self.symbols.values():
            base, quote = symbol.base_currency, symbol.quote_currency
            if quote == "USD" and base and base != "USD":
                self._usd.setdefault(base, (symbol.id, False))
            elif base == "USD" and quote and quote != "USD":
                self._usd.setdefault(quote, (symbol.id, True))
        self.unknown_groups.clear()
        self.unknown_symbols.clear()
        self.dirty_groups.update(self.groups)

    def symbol_code(self, position: Position) -> str:
        if position.symbol:
            return position.symbol
        symbol = self.symbols.get(position.symbol_id)
        if symbol is None:
            if position.symbol_id is not None:
                self.unknown_symbols.add(position.symbol_id)
            return f"#{position.symbol_id}"
        return symbol.symbol

    def group_name(self, group_id: int | None) -> str:
        group = self.groups.get(group_id)
        return group.name if group else (f"Group {group_id}" if group_id is not None else "")

    # -- snapshots from REST -----------------------------------------------------------------

    def reconcile(self, accounts: Iterable[TradingAccount], positions: Iterable[Position],
                  orders: Iterable[Order] | None = None) -> int:
        """Replace what is known by a full REST read; returns how many rows changed."""
        if orders is not None:
            self._reconcile_orders(orders)
        self.unsettled.clear()  # older than this read
        for account in accounts:
            self._summary(AccountSummary.of(account))
        fresh = {p.id: p for p in positions}
        changed = 0
        for position_id in [pid for pid in self.positions if pid not in fresh]:
            self._close(position_id)
            changed += 1
        for position in fresh.values():
            known = self.positions.get(position.id)
            if known is None or known.differs_from(position):
                self._upsert(position)
                changed += 1
            else:
                known.position = position
        self.dirty_groups.update(self.groups)
        return changed

    def _reconcile_orders(self, orders: Iterable[Order]) -> None:
        fresh = {o.id: o for o in orders if _pending(o)}
        for order_id in [oid for oid in self.orders if oid not in fresh]:
            self.list_gone[("orders", order_id)] = self.orders.pop(order_id)
        for order in fresh.values():
            if self.orders.get(order.id) != order:
                self.list_changed[("orders", order.id)] = order
        self.orders = fresh

    def account_known(self, account: TradingAccount) -> None:
        """An account looked up after its positions arrived: route them now."""
        self.unknown_accounts.discard(account.id)
        self._summary(AccountSummary.of(account))

    # -- events ------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        kind = type(event)
        if kind is ProfitUpdate:
            row = self.positions.get(event.position_id)
            if row is not None:
                digits = row.position.digits_currency
                row.profit = quantize(event.profit, digits)
                row.total_profit = quantize(event.total_profit, digits)
                self.repriced.pop(row.position.id, None)
                self._touch(row)
        elif kind is AccountSummaryEvent:
            self._summary_event(event)
        elif kind is Tick:
            # The price column moves now; each position's P/L follows in a profit update of
            # its own. Wait for it (release_repriced) instead of showing the new price beside
            # the old P/L and sending the row twice.
            self.quotes[event.symbol_id] = event
            now = time.monotonic()
            for position_id in self.by_symbol.get(event.symbol_id, ()):
                self.repriced.setdefault(position_id, now)
        elif kind is PositionEvent:
            if event.action == "close":
                self._close(event.position.id)
            else:
                self._upsert(event.position)
        elif kind is DealEvent:
            if event.action == "create":
                self._deal(event)
        elif kind is OrderEvent:
            self._order(event)
        elif kind is Notice:
            self._notice(event)

    def release_repriced(self, now: float) -> None:
        """Rows whose symbol ticked but whose profit update has not come within PROFIT_WAIT
        (it may never: P/L unchanged, or an upstream that sends none) go out as they are."""
        due = []
        for position_id, at in self.repriced.items():  # oldest first
            if now - at < PROFIT_WAIT:
                break
            due.append(position_id)
        for position_id in due:
            del self.repriced[position_id]
            row = self.positions.get(position_id)
            if row is not None:
                self._touch(row)

    def _touch(self, row: LivePosition) -> None:
        self.dirty_rows[row.position.id] = None
        if row.group_id is not None:
            self.dirty_groups.add(row.group_id)

    def _summary(self, summary: AccountSummary) -> None:
        self.unsettled.pop(summary.id, None)
        self.accounts[summary.id] = summary
        self._ids(summary.id, summary.group_id, summary.client_id)

    def _summary_event(self, event: AccountSummaryEvent) -> None:
        self.unsettled[event.account_id] = event
        self._ids(event.account_id, event.group_id, event.client_id)

    def _ids(self, account_id: int, group_id: int | None, client_id: int | None) -> None:
        old_group = self.account_group.get(account_id)
        if group_id is not None:
            self.account_group[account_id] = group_id
            self.dirty_groups.add(group_id)
            if group_id not in self.groups and self.groups:
                self.unknown_groups.add(group_id)
        self.account_client[account_id] = client_id
        if old_group != group_id or account_id in self.unknown_accounts:
            self.unknown_accounts.discard(account_id)
            self._regroup(account_id)

    def settle(self, limit: int | None = None) -> None:
        """Parse the summaries received since the last call (the newest per account); with
        `limit`, only that many (the flush settles a slice each time, spreading the work)."""
        unsettled = self.unsettled
        if limit is None or len(unsettled) <= limit:
            self.unsettled, batch = {}, list(unsettled.values())
        else:
            batch = [unsettled.pop(k) for k in list(unsettled)[:limit]]
        for event in batch:
            try:
                self.accounts[event.account_id] = event.summary
            except BadFrame as bad:
                self.bad_payloads += 1
                log.warning("live relay: skipped %s", bad)

    def settle_account(self, account_id: int) -> AccountSummary | None:
        """This account's newest summary, parsed now if it waits (the account page)."""
        event = self.unsettled.pop(account_id, None)
        if event is not None:
            try:
                self.accounts[account_id] = event.summary
            except BadFrame as bad:
                self.bad_payloads += 1
                log.warning("live relay: skipped %s", bad)
        return self.accounts.get(account_id)

    def _regroup(self, account_id: int) -> None:
        """The account's group became known or changed: its rows move with it."""
        group_id = self.account_group.get(account_id)
        client_id = self.account_client.get(account_id)
        for position_id in self.by_account.get(account_id, ()):
            row = self.positions[position_id]
            if row.group_id is not None and row.group_id != group_id:
                self.gone_rows[position_id] = LivePosition(
                    row.position, row.group_id, row.client_id, row.profit, row.total_profit)
                self.dirty_groups.add(row.group_id)
            row.group_id, row.client_id = group_id, client_id
            self._touch(row)

    def _upsert(self, position: Position) -> None:
        row = self.positions.get(position.id)
        if row is None:
            account_id = position.account_id
            group_id = self.account_group.get(account_id)
            if group_id is None and account_id is not None:
                self.unknown_accounts.add(account_id)
            row = LivePosition(position, group_id, self.account_client.get(account_id),
                               position.profit, position.total_profit)
            self.positions[position.id] = row
            self.by_symbol.setdefault(position.symbol_id, set()).add(position.id)
            self.by_account.setdefault(account_id, set()).add(position.id)
            self.gone_rows.pop(position.id, None)
        else:
            row.position = position
            row.profit, row.total_profit = position.profit, position.total_profit
        self._touch(row)
        self.list_gone.pop(("positions", position.id), None)
        self.list_changed[("positions", position.id)] = position

    def _close(self, position_id: int) -> None:
        row = self.positions.pop(position_id, None)
        if row is None:
            return
        self.by_symbol.get(row.position.symbol_id, set()).discard(position_id)
        self.by_account.get(row.position.account_id, set()).discard(position_id)
        self.dirty_rows.pop(position_id, None)
        self.repriced.pop(position_id, None)
        self.gone_rows[position_id] = row
        if row.group_id is not None:
            self.dirty_groups.add(row.group_id)
        self.list_changed.pop(("positions", position_id), None)
        self.list_gone[("positions", position_id)] = row.position

    def _feed(self, **values: Any) -> None:
        self._feed_n += 1
        item = FeedItem(n=self._feed_n, **values)
        self.feed.append(item)
        self.new_feed.append(item)

    def _deal(self, event: DealEvent) -> None:
        deal = event.deal
        side = deal.side.label if deal.side else ""
        out = deal.entry == 1 or (deal.direction is not None and deal.direction.code == 1)
        is_trade = deal.side is not None and deal.side.code in (0, 1)
        self._feed(
            at=deal.created_at or datetime.now(UTC), kind="deal",
            label=("Deal out" if out else "Deal in") if is_trade else f"Deal · {side}",
            badge="info", account_id=deal.account_id,
            group_id=self.account_group.get(deal.account_id),
            symbol=self.symbol_code_of(deal.symbol, deal.symbol_id) if is_trade else "",
            side=side if is_trade else "", volume=deal.volume if is_trade else None,
            price=deal.price if is_trade else None, profit=deal.profit,
        )

    def _order(self, event: OrderEvent) -> None:
        order = event.order
        self._pending_order(order)
        badge = {"rejected": "danger", "cancel": "muted", "expired": "muted"}.get(event.action,
                                                                                 "warn")
        self._feed(
            at=order.updated_at or order.time_setup or datetime.now(UTC), kind="order",
            label=f"Order {ORDER_ACTIONS.get(event.action, event.action)}", badge=badge,
            account_id=order.account_id, group_id=self.account_group.get(order.account_id),
            symbol=self.symbol_code_of(order.symbol, order.symbol_id),
            side=order.side.label if order.side else "", volume=order.volume_initial,
            price=order.price_order,
        )

    def _pending_order(self, order: Order) -> None:
        """The pending orders list: an order still pending is (re)shown, one that is no
        longer (filled, cancelled, expired, rejected) goes if it was shown."""
        key = ("orders", order.id)
        if _pending(order):
            self.orders[order.id] = order
            self.list_gone.pop(key, None)
            self.list_changed[key] = order
        elif self.orders.pop(order.id, None) is not None:
            self.list_changed.pop(key, None)
            self.list_gone[key] = order

    def _notice(self, event: Notice) -> None:
        if event.account_id is None:
            return  # subscription acknowledgements and the like
        group_id = self.account_group.get(event.account_id, event.group_id)
        self._feed(at=datetime.now(UTC), kind="alert", label="Alert", badge="danger",
                   account_id=event.account_id, group_id=group_id, message=event.message)

    def symbol_code_of(self, code: str, symbol_id: int | None) -> str:
        if code:
            return code
        symbol = self.symbols.get(symbol_id)
        return symbol.symbol if symbol else (f"#{symbol_id}" if symbol_id is not None else "")

    # -- what the panels show ------------------------------------------------------------------

    def price_of(self, row: LivePosition) -> Decimal | None:
        position = row.position
        quote = self.quotes.get(position.symbol_id)
        if quote is None:
            return position.price_current
        price = quote.bid if position.side is None or position.side.code == BUY else quote.ask
        return quantize(price, position.digits)

    def usd_rate(self, currency: str) -> Decimal | None:
        if currency == "USD" or not currency:
            return Decimal(1)
        ref = self._usd.get(currency)
        if ref is None:
            return None
        mid = self._mid(ref[0])
        if not mid:
            return None
        return 1 / mid if ref[1] else mid

    def _rate(self, currency: str) -> Decimal | None:
        """usd_rate, once per currency per exposure pass."""
        rates = self._rates
        if currency not in rates:
            rates[currency] = self.usd_rate(currency)
        return rates[currency]

    def _mid(self, symbol_id: int) -> Decimal | None:
        quote = self.quotes.get(symbol_id)
        if quote is not None:
            return (quote.bid + quote.ask) / 2
        symbol = self.symbols.get(symbol_id)
        if symbol and symbol.last_bid and symbol.last_ask:
            return (symbol.last_bid + symbol.last_ask) / 2
        return None

    def rows_in(self, group_ids: frozenset[int] | None, client_id: int | None = None):
        for row in self.positions.values():
            if row.group_id is None:
                continue
            if group_ids is not None and row.group_id not in group_ids:
                continue
            if client_id is not None and row.client_id != client_id:
                continue
            yield row

    def exposure(self, group_ids: frozenset[int] | None) -> list[ExposureRow]:
        self.settle()
        self._rates: dict[str, Decimal | None] = {}
        by_symbol: dict[int, ExposureRow] = {}
        for row in self.rows_in(group_ids):
            position = row.position
            volume = position.volume_current or Decimal(0)
            entry = by_symbol.get(position.symbol_id)
            if entry is None:
                entry = by_symbol[position.symbol_id] = ExposureRow(self.symbol_code(position))
            entry.positions += 1
            buy = position.side is None or position.side.code == BUY
            if buy:
                entry.buy += volume
            else:
                entry.sell += volume
            entry.notional = _add(entry.notional, self._notional(row, volume if buy else -volume))
            entry.profit = _add(entry.profit, self._profit_usd(row))
        return sorted(by_symbol.values(), key=lambda e: (-abs(e.notional or 0), e.symbol))

    def _notional(self, row: LivePosition, signed_volume: Decimal) -> Decimal | None:
        position = row.position
        symbol = self.symbols.get(position.symbol_id)
        price = self._mid(position.symbol_id) or position.price_current
        rate = self._rate(symbol.quote_currency) if symbol else None
        if price is None or rate is None or position.contract_size is None:
            return None
        return signed_volume * position.contract_size * price * rate

    def _profit_usd(self, row: LivePosition) -> Decimal | None:
        summary = self.accounts.get(row.position.account_id)
        currency = summary.currency if summary else ""
        rate = self._rate(currency) if currency else None
        if rate is None or row.profit is None:
            return None
        return row.profit * rate

    def risk(self, group_ids: frozenset[int] | None, limit: int) -> tuple[list[RiskRow], int]:
        """Accounts with margin in use, nearest their group's margin call first."""
        self.settle()
        rows = []
        for summary in self.accounts.values():
            group_id = summary.group_id
            if group_ids is not None and group_id not in group_ids:
                continue
            if not summary.margin or summary.margin_level is None:
                continue
            group = self.groups.get(group_id)
            rows.append(_risk_row(summary, group))
        rows.sort(key=lambda r: (r.ratio, r.summary.id))
        return rows[:limit], len(rows)

    def copy(self) -> BoardState:
        """What the aggregate figures read (reference data, accounts, open positions, quotes),
        copied for a reader in another thread (the dashboard): call it on the relay's loop."""
        self.settle()
        other = BoardState()
        other.set_reference(self.groups.values(), self.symbols.values())
        other.accounts = dict(self.accounts)
        other.account_group = dict(self.account_group)
        other.account_client = dict(self.account_client)
        other.quotes = dict(self.quotes)
        other.positions = {pid: LivePosition(r.position, r.group_id, r.client_id, r.profit,
                                             r.total_profit)
                           for pid, r in self.positions.items()}
        return other

    def risk_counts(self, group_ids: frozenset[int] | None) -> dict[str, int]:
        """How many accounts are at margin call and at stop out now (the dashboard's counts,
        by the same test the risk panel colours its rows with)."""
        rows, _ = self.risk(group_ids, len(self.accounts))
        counts = {"margin_call": 0, "stop_out": 0}
        for row in rows:
            if row.status in counts:
                counts[row.status] += 1
        return counts

    def profit_by_group(self) -> dict[int, Decimal | None]:
        """Floating P/L of the open positions per group, in USD (None: a currency without a
        rate), in one pass: the dashboard's figure and the relay's per-minute sample."""
        self._rates = {}
        totals: dict[int, Decimal | None] = {}
        for row in self.rows_in(None):
            totals[row.group_id] = _add(totals.get(row.group_id, Decimal(0)),
                                        self._profit_usd(row))
        return totals


ORDER_ACTIONS = {"place": "placed", "update": "updated", "cancel": "cancelled",
                 "expired": "expired", "rejected": "rejected", "requote": "requoted"}


def _pending(order: Order) -> bool:
    return (order.status is not None and order.status.code in PENDING
            and not (order.type is not None and order.type.code == MARKET))


def _add(total: Decimal | None, value: Decimal | None) -> Decimal | None:
    return None if total is None or value is None else total + value


def _risk_row(summary: AccountSummary, group: Group | None) -> RiskRow:
    level = summary.margin_level
    call = group.margin_call if group and group.margin_call else Decimal(100)
    stop = group.margin_stop_out if group and group.margin_stop_out else Decimal(0)
    if level <= stop:
        status = "stop_out"
    elif level <= call:
        status = "margin_call"
    elif level <= call * NEAR_MARGIN_CALL:
        status = "near"
    else:
        status = "ok"
    return RiskRow(summary, group, level / call, status)
