"""One list row as its partial shows it (trading/trading_list.html), for the page and for the
relay's push of open positions and pending orders (the same partial renders both)."""

from __future__ import annotations

from functools import cache

from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

TEMPLATE = "trading/trading_list.html"
TIMES = ("created_at", "updated_at", "time_setup", "time_expiration", "time_done")


class Row:
    """One record with what its row shows beside it, worked out once here rather than per cell
    in the template (links, symbol code, account's group, currency and client, times in the
    member's zone): the `date` and `url` tags per cell were most of a page's rendering."""

    __slots__ = ("item", "url", "symbol", "currency", "client_id", "group_id", "account_url",
                 "times", "stamps", "order_url", "position_url")

    def __init__(self, item, links: dict[str, str], codes: dict[int, str], accounts: dict):
        info = accounts.get(item.account_id)
        self.item = item
        self.url = f"{links['self']}{item.id}/"
        self.symbol = item.symbol or codes.get(item.symbol_id, "")
        self.currency = info.currency if info else ""
        self.client_id = info.client_id if info else None
        self.group_id = info.group_id if info else None
        self.account_url = f"{links['account']}{item.account_id}/"
        stamps = {name: stamp for name in TIMES
                  if (stamp := getattr(item, name, None)) is not None}
        self.times = {name: timezone.localtime(stamp).strftime("%Y-%m-%d %H:%M:%S")
                      for name, stamp in stamps.items()}
        self.stamps = {name: stamp.isoformat() for name, stamp in stamps.items()}
        order_id, position_id = getattr(item, "order_id", None), getattr(item, "position_id", None)
        self.order_url = f"{links['order']}{order_id}/" if order_id else ""
        self.position_url = f"{links['position']}{position_id}/" if position_id else ""


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


@cache
def _partial(name: str):
    return get_template(f"{TEMPLATE}#{name}")


def render_row(kind, item, codes: dict[int, str], accounts: dict) -> str:
    """A row of the list, as the page renders it (the relay's push of a changed record)."""
    return _partial(kind.row).render({"r": Row(item, links(kind), codes, accounts)})


def render_gone(kind, item, accounts: dict) -> str:
    """Removes the record's row (closed, filled, cancelled); it carries what the page's
    filters are matched on, like the row."""
    return _partial("row-gone").render(
        {"r": Row(item, links(kind), {}, accounts), "prefix": kind.noun.split()[-1]})
