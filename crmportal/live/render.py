"""State -> HTML fragments, through the partials of templates/live/board.html.

The page includes these partials and the relay renders the same ones, so a live update can
never drift from the page. Each fragment is a top-level element with an id: the htmx ws
extension swaps it out of band (`hx-swap-oob`), rows by their own id. A row whose id is not on
the page yet (a new position, a feed entry) names its container in `data-live-into`;
static/js/live.js makes room for it there before htmx swaps.

One WebSocket message must hold one kind of fragment only (see `kind_of`): htmx parses a
message inside a <template>, where a top-level <tr> or <tbody> puts the parser in table mode
and mangles any <section> after it (and the reverse drops the table tags).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.template.loader import get_template
from django.utils.safestring import SafeData, mark_safe

from crmportal.live.state import BoardState, ExposureRow, FeedItem, LivePosition, RiskRow

BOARD = "live/board.html"
RISK_ROWS = 25
CHART_BARS = 12

RISK_LABELS = {
    "stop_out": ("Stop out", "danger", "row-danger"),
    "margin_call": ("Margin call", "danger", "row-danger"),
    "near": ("Near call", "warn", "row-warn"),
    "ok": ("OK", "ok", ""),
}


TABLE_ROW, TABLE_CELL, TABLE_BODY, FLOW = "row", "cell", "body", "flow"
KINDS = (TABLE_BODY, TABLE_ROW, TABLE_CELL, FLOW)  # the order a socket's waiting kinds go in


def kind_of(key: str) -> str:
    """What an item's fragment is, from its key: table rows, a row's moving cells, table
    bodies, or flow content."""
    if key.startswith(("pos-", "feed-", "list-")):
        return TABLE_ROW
    if key.startswith("cells-"):
        return TABLE_CELL
    if key.startswith("body-"):
        return TABLE_BODY
    return FLOW


@cache
def partial(name: str):
    return get_template(f"{BOARD}#{name}")


def render(name: str, context: dict[str, Any]) -> str:
    return partial(name).render(context)


MARK = "\x00"


@cache
def stamp(name: str, fields: tuple[str, ...], template: str = BOARD) -> str:
    """A partial of plain `{{ r.<field> }}` lookups, rendered once with a marker per field and
    kept as a format string. Filling it gives what rendering the partial gives (checked by
    tests/live/test_render.py) for a fraction of the cost: the relay renders thousands of rows
    a second on the event loop every socket shares (and a trading list 50 rows a page)."""
    marked = get_template(f"{template}#{name}").render(
        {"r": {f: mark_safe(f"{MARK}{f}{MARK}") for f in fields}})
    pieces = marked.split(MARK)
    if sorted(set(pieces[1::2])) != sorted(fields):
        raise ValueError(f"partial {name} does not show each of {fields} as a plain value")
    return "".join("{" + piece + "}" if i % 2 else piece.replace("{", "{{").replace("}", "}}")
                   for i, piece in enumerate(pieces))


def escape(value: Any) -> str:
    """As the template engine escapes a value (Django's escape is html.escape; called directly,
    without its lazy-string wrapper)."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


@dataclass(frozen=True)
class Scope:
    """One block of aggregate panels: every group ("all") or one group ("g6")."""

    key: str
    group_ids: frozenset[int] | None
    name: str = ""

    @classmethod
    def all(cls) -> Scope:
        return cls("all", None)

    @classmethod
    def group(cls, group_id: int, name: str = "") -> Scope:
        return cls(f"g{int(group_id)}", frozenset({int(group_id)}), name)


@dataclass(frozen=True)
class Status:
    state: str  # live, stale, connecting; ended (the socket closes: reason is all it says)
    since: datetime | None = None
    reason: str = ""


def _text(value: int | Decimal | None) -> str:
    """A number as text before it reaches the template: the digits DTL would print (no
    thousand separators here) without its per-value localization and escaping, which are
    most of the cost of a row. The digits, sign and point of a number need no escaping."""
    return "" if value is None else mark_safe(str(value))  # noqa: S308 - digits only


def _sign_class(value: Decimal | None) -> str:
    if value is None or value == 0:
        return ""
    return "pos" if value > 0 else "neg"


ROW_STEADY = ("id", "account_id", "group", "group_id", "symbol", "side", "side_badge", "volume",
              "price_open")
ROW_MOVING = ("price", "profit", "pl_class", "total_profit", "total_class")


def steady_key(state: BoardState, row: LivePosition) -> tuple:
    """What the row shows besides its moving cells: when it changes, the whole row goes out."""
    position = row.position
    return (position.account_id, row.group_id, state.group_name(row.group_id),
            position.symbol_id, position.symbol, position.side, position.volume_current,
            position.price_open)


def position_row(state: BoardState, row: LivePosition,
                 steady: dict[int, tuple[tuple, str]] | None = None) -> str:
    """One row of the positions table. `steady`, kept by the caller, holds each row's stamp
    with the fields that rarely move filled in, so a price or P/L change fills only five."""
    position = row.position
    key = steady_key(state, row)
    known = steady.get(position.id) if steady is not None else None
    if known is not None and known[0] == key:
        template = known[1]
    else:
        template = _steady_stamp(state, row)
        if steady is not None:
            steady[position.id] = (key, template)
    return mark_safe(template.format(**_moving(state, row)))  # noqa: S308 - see _moving


def position_cells(state: BoardState, row: LivePosition) -> str:
    """The row's moving cells (price, P/L, total P/L), swapped by their own ids."""
    template = stamp("position-cells", ("id", *ROW_MOVING))
    return mark_safe(template.format(  # noqa: S308 - see _moving
        id=row.position.id, **_moving(state, row)))


def _moving(state: BoardState, row: LivePosition) -> dict[str, str]:
    """Digits, a sign and a point, or a class name: nothing to escape."""
    return {"price": _digits(state.price_of(row)), "profit": _digits(row.profit),
            "pl_class": _sign_class(row.profit), "total_profit": _digits(row.total_profit),
            "total_class": _sign_class(row.total_profit)}


def _steady_stamp(state: BoardState, row: LivePosition) -> str:
    position = row.position
    buy = position.side is None or position.side.code == 0
    values = {
        "id": _text(position.id),
        "account_id": _text(position.account_id),
        "group": state.group_name(row.group_id),
        "group_id": _text(row.group_id),
        "symbol": state.symbol_code(position),
        "side": position.side.label if position.side else "",
        "side_badge": "ok" if buy else "danger",
        "volume": _text(position.volume_current),
        "price_open": _text(position.price_open),
    }
    filled = {k: escape(v).replace("{", "{{").replace("}", "}}") for k, v in values.items()}
    return stamp("position-row", ROW_STEADY + ROW_MOVING).format_map(
        {**filled, **{name: "{" + name + "}" for name in ROW_MOVING}})


def _digits(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def position_gone(position_id: int) -> str:
    return render("position-gone", {"position_id": _text(position_id)})


def panels_gone(scope_keys: list[str]) -> str:
    """Removes the aggregate panels of scopes a socket no longer shows (a narrowed scope)."""
    return render("panels-gone", {"keys": scope_keys})


def positions_body(rows_html: list[str], empty_text: str = "") -> str:
    return render("positions-body", {"rows": rows_html, "empty_text": empty_text})


def client_panel(rows_html: list[str], value: Status, empty_text: str = "") -> str:
    return get_template("live/client_positions.html#client-panel").render(
        {"rows": rows_html, "empty_text": empty_text, "status": value})


def account_summary(state: BoardState, summary) -> str:
    """The account page's money (accounts/account_detail.html#account-summary): the same
    partial renders the page and the push."""
    return get_template("accounts/account_detail.html#account-summary").render(
        {"summary": summary, "group": state.groups.get(summary.group_id)})


def feed_row(item: FeedItem) -> str:
    return render("feed-row", {"f": {
        "n": _text(item.n), "at": item.at, "badge": item.badge, "label": item.label,
        "account_id": _text(item.account_id), "message": item.message, "symbol": item.symbol,
        "side": item.side, "volume": _text(item.volume), "price": _text(item.price),
        "profit": _text(item.profit), "pl_class": _sign_class(item.profit),
    }})


def feed_body(rows_html: list[str]) -> str:
    return render("feed-body", {"feed": rows_html})


def status(value: Status) -> str:
    return render("live-status", {"status": value})


def risk_panel(state: BoardState, scope: Scope, ready: bool = True, limit: int = RISK_ROWS) -> str:
    rows, total = state.risk(scope.group_ids, limit)
    return render("risk-panel", {"scope": scope, "risk": [_risk(state, r) for r in rows],
                                 "risk_total": total, "ready": ready})


def _risk(state: BoardState, row: RiskRow) -> dict[str, Any]:
    summary = row.summary
    label, badge, row_class = RISK_LABELS[row.status]
    group = row.group
    return {
        "id": _text(summary.id), "client_id": _text(summary.client_id) or "—",
        "group": state.group_name(summary.group_id), "currency": summary.currency,
        "balance": _text(summary.balance), "equity": _text(summary.equity),
        "margin_free": _text(summary.margin_free),
        "free_class": "neg" if summary.margin_free is not None and summary.margin_free < 0
        else "",
        "level": _text(summary.margin_level), "status": label, "badge": badge,
        "row_class": row_class,
        "call": _text(group.margin_call) if group else "",
        "stop": _text(group.margin_stop_out) if group else "",
    }


def risk_counts(scope: Scope, counts: dict[str, int], ready: bool = True) -> str:
    """The dashboard's live counts of one scope (templates/dashboard/live_counts.html, which
    the dashboard page includes too)."""
    return get_template("dashboard/live_counts.html#risk-counts").render(
        {"scope": scope, "counts": counts, "ready": ready})


def exposure_panel(state: BoardState, scope: Scope, ready: bool = True) -> str:
    rows = state.exposure(scope.group_ids)
    return render("exposure-panel", {
        "scope": scope, "ready": ready, "exposure": [_exposure(r) for r in rows],
        "chart": _chart(rows),
    })


def _exposure(row: ExposureRow) -> dict[str, Any]:
    return {
        "symbol": row.symbol, "positions": _text(row.positions),
        "buy": _lots(row.buy), "sell": _lots(row.sell), "net": _lots(row.net),
        "net_class": _sign_class(row.net),
        "notional": _money(row.notional, 0), "profit": _money(row.profit, 2),
        "pl_class": _sign_class(row.profit),
    }


def _lots(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def _money(value: Decimal | None, places: int) -> str | None:
    if value is None:
        return None
    return f"{value:,.{places}f}"


def _chart(rows: list[ExposureRow]) -> dict[str, Any] | None:
    """Horizontal bars of net notional (USD) for the largest symbols; coordinates only."""
    bars = [r for r in rows if r.notional][:CHART_BARS]
    if not bars:
        return None
    width, label_w, bar, gap = 320, 64, 12, 5
    axis = label_w + (width - label_w) / 2
    half = (width - label_w) / 2 - 4
    biggest = max(abs(r.notional) for r in bars)
    shapes = []
    for i, r in enumerate(bars):
        length = float(abs(r.notional) / biggest) * half
        y = 4 + i * (bar + gap)
        shapes.append({
            "symbol": r.symbol, "label": _money(r.notional, 0), "y": y,
            "text_y": y + bar - 2, "w": round(max(length, 1.0), 1),
            "x": round(axis if r.notional > 0 else axis - max(length, 1.0), 1),
            "cls": "bar-buy" if r.notional > 0 else "bar-sell",
        })
    return {"width": width, "height": 8 + len(bars) * (bar + gap), "axis": axis, "bar": bar,
            "label_x": 2, "bars": shapes}
