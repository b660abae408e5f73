"""The five trading lists: what each reads from the service layer, which filters it offers,
which of them OMTrader answers and which the portal applies itself, its columns and totals.

One table, read by the filter parser, the list source, the pages and the CSV export.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    label: str
    sort: str | None = None  # the upstream field it sorts on (None: not sortable)
    num: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    url_name: str
    method: str  # the service layer's list method
    endpoint: str  # its endpoint, for the raw pages the footer totals read (source.py)
    row: str  # the row partial of trading/trading_list.html
    noun: str  # one record, for counts and empty lists
    columns: tuple[Column, ...]
    # Filters beyond group/account/client/symbol/side/reason/volume, which every list has.
    types: bool  # order type filter
    profit: str | None  # the P/L attribute (P/L sign filter and total), None: no P/L
    volume: str  # the volume attribute (volume range and total)
    date: str  # the attribute the date range is on
    date_label: str
    date_upstream: bool  # OMTrader filters the date range (from/to) on that attribute
    totals: tuple[tuple[str, str], ...]  # (label, attribute) summed per currency
    default_sort: str
    live: bool = False  # rows pushed through the relay (crmportal/live, rows.py)
    # A second date the range may apply to instead (`?date_on=opened`), filtered by the portal.
    other_date: tuple[str, str] | None = None  # (attribute, label)

    @property
    def width(self) -> int:
        """Columns of the list's table (what a row spanning it spans)."""
        return len(self.columns)

    def date_of(self, on: str) -> tuple[str, bool]:
        """The attribute a date range is on, and whether OMTrader filters it."""
        if self.other_date and on == "opened":
            return self.other_date[0], False
        return self.date, self.date_upstream


ACCOUNT = Column("Account", "account_id", True)
SYMBOL = Column("Symbol")

POSITIONS = Kind(
    name="positions", title="Open positions", url_name="trading-list-positions",
    method="list_positions", endpoint="positions", row="position-row", noun="position",
    columns=(Column("Id", "id", True), ACCOUNT, SYMBOL, Column("Side", "side"),
             Column("Volume", "volume_current", True), Column("Open price", "price_open", True),
             Column("Current", "price_current", True), Column("SL", "price_sl", True),
             Column("TP", "price_tp", True), Column("Swaps", "swaps", True),
             Column("Commission", "commission", True), Column("P/L", "profit", True),
             Column("Opened", "created_at")),
    types=False, profit="profit", volume="volume_current", date="created_at",
    date_label="Opened", date_upstream=False,
    totals=(("Volume", "volume_current"), ("Swaps", "swaps"), ("Commission", "commission"),
            ("P/L", "profit")),
    default_sort="-id", live=True,
)
POSITION_HISTORY = Kind(
    name="position-history", title="Position history", url_name="trading-list-position-history",
    method="position_history", endpoint="positions_history", row="closed-position-row",
    noun="closed position",
    columns=(Column("Id", "id", True), ACCOUNT, SYMBOL, Column("Side", "side"),
             Column("Volume", "volume_initial", True), Column("Open price", "price_open", True),
             Column("Close price", "price_current", True), Column("Swaps", "swaps", True),
             Column("Commission", "commission", True), Column("P/L", "profit", True),
             Column("Reason", "reason"), Column("Opened", "created_at"),
             Column("Closed", "updated_at")),
    types=False, profit="profit", volume="volume_initial", date="updated_at",
    date_label="Closed", date_upstream=True,
    totals=(("Volume", "volume_initial"), ("Swaps", "swaps"), ("Commission", "commission"),
            ("P/L", "profit")),
    default_sort="-updated_at", other_date=("created_at", "Opened"),
)
ORDERS = Kind(
    name="orders", title="Pending orders", url_name="trading-list-orders",
    method="list_orders", endpoint="orders", row="order-row", noun="order",
    columns=(Column("Id", "id", True), ACCOUNT, SYMBOL, Column("Type", "type"),
             Column("Volume", "volume_initial", True), Column("Price", "price_order", True),
             Column("Current", "price_current", True), Column("SL", "price_sl", True),
             Column("TP", "price_tp", True), Column("Status", "status"),
             Column("Placed", "time_setup"), Column("Expires", "time_expiration")),
    types=True, profit=None, volume="volume_initial", date="time_setup", date_label="Placed",
    date_upstream=False, totals=(("Volume", "volume_initial"),), default_sort="-id", live=True,
)
ORDER_HISTORY = Kind(
    name="order-history", title="Order history", url_name="trading-list-order-history",
    method="order_history", endpoint="orders_history", row="done-order-row", noun="order",
    columns=(Column("Id", "id", True), ACCOUNT, SYMBOL, Column("Type", "type"),
             Column("Volume", "volume_initial", True), Column("Price", "price_order", True),
             Column("Status", "status"), Column("Reason", "reason"),
             Column("Placed", "time_setup"), Column("Done", "time_done")),
    types=True, profit=None, volume="volume_initial", date="time_done", date_label="Done",
    date_upstream=True, totals=(("Volume", "volume_initial"),), default_sort="-time_done",
    other_date=("time_setup", "Placed"),
)
DEALS = Kind(
    name="deals", title="Deals", url_name="trading-list-deals",
    method="list_deals", endpoint="deals", row="deal-row", noun="deal",
    columns=(Column("Id", "id", True), ACCOUNT, SYMBOL, Column("Side", "side"),
             Column("Entry", "direction"), Column("Volume", "volume", True),
             Column("Price", "price", True), Column("Order", "order_id", True),
             Column("Position", "position_id", True), Column("Commission", "commission", True),
             Column("Swap", "swap", True), Column("P/L", "profit", True),
             Column("Reason", "reason"), Column("Time", "created_at")),
    types=False, profit="profit", volume="volume", date="created_at", date_label="Time",
    date_upstream=True,
    totals=(("Volume", "volume"), ("Commission", "commission"), ("Swap", "swap"),
            ("P/L", "profit")),
    default_sort="-id",  # deal ids grow with time; OMTrader's cheapest order
)

KINDS = {kind.name: kind for kind in (POSITIONS, ORDERS, POSITION_HISTORY, ORDER_HISTORY, DEALS)}


def sorts_of(kind: Kind) -> frozenset[str]:
    keys = {column.sort for column in kind.columns if column.sort}
    return frozenset(keys | {f"-{key}" for key in keys})
