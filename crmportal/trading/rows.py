"""One list row as its partial shows it (trading/trading_list.html), for the page and for the
relay's push of open positions and pending orders: the same partial renders both.

Rows are filled into the partial's stamp (crmportal/live/render.py `stamp`: the partial
rendered once with a marker per field, kept as a format string): a page of 50 rows through
the template engine cost more than OMTrader's round trip. Every value is worked out here
(money with its digits, times in the member's zone, links) and escaped as the engine would.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from crmportal.formatting import money
from crmportal.live.render import escape, stamp

TEMPLATE = "trading/trading_list.html"
LIVE = ("group_id", "client_id", "symbol_id")  # what a pushed row is matched on (live.js)
# live_at: a relay snapshot's row says when it changed (live.js skips what the page read)
COMMON = ("id", "url", "account_id", "account_url", "client_title", "symbol", *LIVE, "live_at")
FIELDS = {
    "position-row": (*COMMON, "side", "volume_current", "price_open", "price_current",
                     "price_sl", "price_tp", "swaps", "commission", "profit", "pl_class",
                     "currency", "created_at", "at_created_at"),
    "closed-position-row": (*COMMON, "side", "volume_initial", "price_open", "price_current",
                            "swaps", "commission", "profit", "pl_class", "currency", "reason",
                            "created_at", "at_created_at", "updated_at", "at_updated_at"),
    "order-row": (*COMMON, "type", "volume_initial", "price_order", "price_current",
                  "price_sl", "price_tp", "status", "time_setup", "at_time_setup",
                  "time_expiration", "at_time_expiration"),
    "done-order-row": (*COMMON, "type", "volume_initial", "price_order", "status", "reason",
                       "time_setup", "at_time_setup", "time_done", "at_time_done"),
    "deal-row": (*COMMON, "side", "direction", "volume", "price", "order_link",
                 "position_link", "commission", "swap", "profit", "pl_class", "currency",
                 "reason", "created_at", "at_created_at"),
}
# What a row reads of its record (the list's upstream page parses only these).
READ = {name: frozenset({*fields, "id", "account_id", "symbol", "symbol_id", "digits_currency",
                         "profit", "order_id", "position_id"}) for name, fields in FIELDS.items()}
TIMES = ("created_at", "updated_at", "time_setup", "time_expiration", "time_done")
MONEY = ("swaps", "commission", "swap", "profit")
PLAIN = (int, Decimal)
# Values Row writes itself from numbers and times: nothing in them to escape.
OURS = frozenset({"url", "account_url", "client_title", "pl_class", "order_link",
                  "position_link", *TIMES, *(f"at_{t}" for t in TIMES), *MONEY})


class Row:
    """One record and the values its row shows, worked out once."""

    __slots__ = ("item", "values", "name")

    def __init__(self, item, name: str, links: dict[str, str], codes: dict[int, str],
                 accounts: dict, zone=None):
        info = accounts.get(item.account_id)
        self.item, self.name = item, name
        client_id = info.client_id if info else None
        values: dict[str, Any] = {
            "id": item.id, "url": f"{links['self']}{item.id}/", "account_id": item.account_id,
            "account_url": f"{links['account']}{item.account_id}/",
            "client_title": f"Client {client_id}" if client_id else "",
            "symbol": item.symbol or codes.get(item.symbol_id, ""),
            "group_id": info.group_id if info else None, "client_id": client_id,
            "symbol_id": item.symbol_id, "currency": info.currency if info else "",
        }
        zone = zone or timezone.get_current_timezone()
        digits = getattr(item, "digits_currency", None)
        for field in FIELDS[name]:
            if field in values or field.startswith("at_"):
                continue
            value = getattr(item, field, None)
            if field in TIMES:
                if value is not None:
                    values[f"at_{field}"] = value.isoformat()
                    value = value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
            elif field in MONEY:
                value = money(value, digits)
            values[field] = value
        if "profit" in values:
            profit = item.profit
            values["pl_class"] = "" if not profit else "pos" if profit > 0 else "neg"
        for link in ("order", "position"):
            if f"{link}_link" in FIELDS[name]:
                linked = getattr(item, f"{link}_id", None)
                values[f"{link}_link"] = (f'<a href="{links[link]}{int(linked)}/">{int(linked)}</a>'
                                          if linked else "")
        self.values = values

    def text(self) -> dict[str, str]:
        """Every field as the template engine would print it: nothing for None; numbers, and
        what this module wrote itself (links, times, money), need no escaping."""
        values = self.values
        return {f: "" if (v := values.get(f)) is None else
                str(v) if f in OURS or type(v) in PLAIN else escape(v) for f in FIELDS[self.name]}

    @property
    def html(self) -> str:
        template = stamp(self.name, FIELDS[self.name], TEMPLATE)
        return mark_safe(template.format_map(self.text()))  # noqa: S308 - escaped in text()


@cache
def _bases() -> dict[str, str]:
    return {"order": reverse("trading-show-order", args=[0])[:-2],
            "position": reverse("trading-show-position", args=[0])[:-2],
            "deal": reverse("trading-show-deal", args=[0])[:-2],
            "account": reverse("accounts-show-account", args=[0])[:-2]}


def links(kind) -> dict[str, str]:
    """The base of each detail URL (an id and a slash complete it)."""
    base = _bases()
    return {**base, "self": base["deal" if kind.name == "deals" else
                                 "order" if kind.types else "position"]}


def rows(kind, items, codes: dict[int, str], accounts: dict) -> list[Row]:
    base, zone = links(kind), timezone.get_current_timezone()
    return [Row(item, kind.row, base, codes, accounts, zone) for item in items]


def html_of(rows_shown: list[Row]) -> str:
    """The rows of a page, joined once (the template prints them as one value)."""
    return mark_safe("".join(row.html for row in rows_shown))  # noqa: S308 - Row.html escapes


def render_row(kind, item, codes: dict[int, str], accounts: dict, live_at: str = "") -> str:
    """A row of the list, as the page shows it (the relay's push of a changed record)."""
    row = Row(item, kind.row, links(kind), codes, accounts)
    row.values["live_at"] = live_at
    return row.html


def render_gone(kind, item, accounts: dict, live_at: str = "") -> str:
    """Removes the record's row (closed, filled, cancelled); it carries what the page's
    filters are matched on, like the row."""
    row = Row(item, kind.row, links(kind), {}, accounts)
    row.values["live_at"] = live_at
    return get_template(f"{TEMPLATE}#row-gone").render(
        {"r": row.text(), "prefix": kind.noun.split()[-1]})
