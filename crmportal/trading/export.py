"""CSV of a trading list or a statement: streamed a chunk at a time (memory stays flat at any
row count), formula-safe (crmportal/csvfiles.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo

from crmportal.csvfiles import safe
from crmportal.omtrader.enums import EnumValue

# Per list: (header, attribute); "symbol", "currency" and "client" come from reference data.
FIELDS = {
    "positions": (("Id", "id"), ("Account", "account_id"), ("Client", "client"),
                  ("Symbol", "symbol"), ("Side", "side"), ("Volume", "volume_current"),
                  ("Open price", "price_open"), ("Current price", "price_current"),
                  ("SL", "price_sl"), ("TP", "price_tp"), ("Swaps", "swaps"),
                  ("Commission", "commission"), ("P/L", "profit"), ("Currency", "currency"),
                  ("Reason", "reason"), ("Opened", "created_at")),
    "position-history": (("Id", "id"), ("Account", "account_id"), ("Client", "client"),
                         ("Symbol", "symbol"), ("Side", "side"), ("Volume", "volume_initial"),
                         ("Open price", "price_open"), ("Close price", "price_current"),
                         ("Swaps", "swaps"), ("Commission", "commission"), ("P/L", "profit"),
                         ("Currency", "currency"), ("Reason", "reason"),
                         ("Opened", "created_at"), ("Closed", "updated_at")),
    "orders": (("Id", "id"), ("Account", "account_id"), ("Client", "client"),
               ("Symbol", "symbol"), ("Type", "type"), ("Side", "side"),
               ("Volume", "volume_initial"), ("Price", "price_order"),
               ("Trigger", "price_trigger"), ("SL", "price_sl"), ("TP", "price_tp"),
               ("Status", "status"), ("Reason", "reason"), ("Placed", "time_setup"),
               ("Expires", "time_expiration")),
    "order-history": (("Id", "id"), ("Account", "account_id"), ("Client", "client"),
                      ("Symbol", "symbol"), ("Type", "type"), ("Side", "side"),
                      ("Volume", "volume_initial"), ("Price", "price_order"),
                      ("Status", "status"), ("Reason", "reason"), ("Position", "position_id"),
                      ("Placed", "time_setup"), ("Done", "time_done")),
    "deals": (("Id", "id"), ("Account", "account_id"), ("Client", "client"),
              ("Symbol", "symbol"), ("Side", "side"), ("Entry", "direction"),
              ("Volume", "volume"), ("Price", "price"), ("Order", "order_id"),
              ("Position", "position_id"), ("Commission", "commission"), ("Swap", "swap"),
              ("P/L", "profit"), ("Currency", "currency"), ("Reason", "reason"),
              ("Comment", "comment"), ("Time", "created_at")),
}

# What an export reads of each record (the rest is left unparsed).
READ = {name: frozenset({attr for _, attr in fields} | {"symbol_id", "account_id"})
        for name, fields in FIELDS.items()}


def cell(value, zone: tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, EnumValue):
        return value.label
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z")
    return str(value)


def list_rows(kind_name: str, items: Iterable, *, symbols: dict[int, str], accounts: dict,
              zone: tzinfo) -> Iterator[list[str]]:
    fields = FIELDS[kind_name]
    for item in items:
        info = accounts.get(item.account_id)
        extra = {"symbol": item.symbol or symbols.get(item.symbol_id, ""),
                 "currency": info.currency if info else "",
                 "client": info.client_id if info else None}
        yield [safe(cell(extra[attr] if attr in extra else getattr(item, attr), zone))
               for _, attr in fields]


def header_of(kind_name: str) -> list[str]:
    return [label for label, _ in FIELDS[kind_name]]
