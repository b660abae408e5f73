"""Trading activity: open positions, pending orders, position and order history, deals (lists
with filters, totals and CSV), the order / position / deal pages and the account statement."""

from __future__ import annotations

import time
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from crmportal.audit.log import record
from crmportal.csvfiles import csv_chunks, csv_response
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.omtrader import concurrent
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import Deal
from crmportal.omtrader.errors import NotFound, OMTraderError
from crmportal.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, paginate
from crmportal.shell import render_around
from crmportal.staff.scope import group_scope, may_see_group
from crmportal.trading import export, source
from crmportal.trading import rows as rows_of
from crmportal.trading import statement as statements
from crmportal.trading.filters import LABELS, date_range, parse
from crmportal.trading.kinds import DEALS, KINDS, ORDER_HISTORY, ORDERS, POSITION_HISTORY, POSITIONS

TEMPLATE = "trading/trading_list.html"
CLOSED = 2  # ModelPositionStatus closed_position
NOT_FOUND = {"order": "OMTrader has no order with this id.",
             "position": "OMTrader has no position with this id.",
             "deal": "OMTrader has no deal with this id.",
             "account": "OMTrader has no trading account with this id."}

# -- access helpers ----------------------------------------------------------------------------


def _account_for_user(request: HttpRequest, account) -> None:
    """Out of scope is missing: the same 404 as an id OMTrader does not know."""
    if account is None or not may_see_group(request.user, account.group_id):
        raise Http404(NOT_FOUND["account"])


def _fetch(what: str, call):
    try:
        return call()
    except NotFound:
        raise Http404(NOT_FOUND[what]) from None


def _query(values: dict, **extra) -> str:
    return urlencode({k: v for k, v in {**values, **extra}.items() if v not in (None, "")})


def _symbols(omt) -> tuple[dict[int, str], dict[str, int]]:
    codes = source.symbol_codes(omt)
    return codes, {code.upper(): sid for sid, code in codes.items()}


# -- the lists ---------------------------------------------------------------------------------


def _criteria(request: HttpRequest, kind):
    omt = get_omtrader()
    codes, by_code = _symbols(omt)
    criteria = parse(request.GET, kind, by_code)
    accounts = source.with_asked(omt, criteria, source.directory(omt))
    return omt, codes, criteria, accounts, source.plan(request.user, criteria, accounts)


def _list(request: HttpRequest, kind) -> HttpResponse:
    # Before the read: the page's socket asks for the changes after it (live/lists.py).
    read_at = {"read_at": f"{time.time():.3f}"}
    omt, codes, criteria, accounts, plan = _criteria(request, kind)
    if request.GET.get("part") == "totals":
        totals = source.totals_of(omt, criteria, plan, accounts, seen=request.GET.get("n"))
        return render(request, f"{TEMPLATE}#trading-totals",
                      _totals_context(kind, totals, accounts))
    # An exact list is one upstream page: it is read in the pool while this thread renders
    # the page around the table (shell.py). A streamed pass fetches its own pages in
    # parallel, so it stays in this thread.
    only = rows_of.READ[kind.row]
    read = (concurrent.start(window=lambda: source.window(omt, criteria, plan, accounts, only))
            if plan.exact else None)

    def table() -> dict:
        rows, totals = (read.wait()["window"] if read
                        else source.window(omt, criteria, plan, accounts, only))
        return _table_context(request, kind, criteria, plan, rows, totals, codes, accounts)

    if not wants_partial(request):
        return HttpResponse(render_around(request, TEMPLATE, {
            "kind": kind, "criteria": criteria, "page_sizes": PAGE_SIZES,
            "default_size": DEFAULT_PAGE_SIZE, "current_size": criteria.size, **read_at,
            "tabs": [(k.title, reverse(k.url_name), k is kind) for k in KINDS.values()],
            **_options(request.user, omt, criteria, codes)}, {"table": "trading-table"}, table))
    context = {**table(), **read_at}
    response = HttpResponse(render_to_string(TEMPLATE + "#trading-table", context))
    if context["notices"]:
        page_part = {"page": context["page"].number} if context["page"].number > 1 else {}
        corrected = _query({**criteria.state, **page_part}, **_size_part(criteria))
        replace_url(response, request.path + ("?" + corrected if corrected else ""))
    return response


def _table_context(request, kind, criteria, plan, rows, totals, codes, accounts) -> dict:
    state, size_part = criteria.state, _size_part(criteria)
    paged = paginate(rows, request.GET)
    page = paged.page
    page.rows = rows_of.rows(kind, page.object_list, codes, accounts)
    return {
        "kind": kind,
        "criteria": criteria,
        "page": page,
        "rows_html": rows_of.html_of(page.rows),
        "notices": criteria.notices + plan.notices + paged.notices,
        "query": _query(state, **size_part),
        "columns": _columns(kind, state, criteria.sort, size_part),
        # The footer's request names the count this page read: totals of another count (kept
        # from an earlier read) are not shown under it.
        "totals_url": ("" if totals is not None
                       else "?" + _query(state, part="totals", n=page.paginator.count)),
        **(_totals_context(kind, totals, accounts) if totals is not None else {}),
        "export_query": _query(state),
        "may_export": request.user.has_perm("staff.export_trading"),
    }


def _size_part(criteria) -> dict:
    return {"size": criteria.size} if criteria.size != DEFAULT_PAGE_SIZE else {}


def _totals_context(kind, totals, accounts) -> dict:
    digits = {info.currency: info.digits for info in accounts.values()}
    return {"kind": kind, "totals": totals.rows(kind, digits), "total_count": totals.count}


def _columns(kind, state: dict, sort: str, size_part: dict) -> list[dict]:
    columns = []
    for column in kind.columns:
        key = column.sort
        order = ("ascending" if sort == key else "descending" if sort == f"-{key}" else "")
        query = ""
        if key:
            query = _query({**state, "sort": f"-{key}" if sort == key else key}, **size_part)
        columns.append({"label": column.label, "query": query, "num": column.num,
                        "order": order})
    return columns


def _options(user, omt, criteria, codes: dict[int, str]) -> dict:
    """What the filter bar offers: the member's groups, every symbol, the enum codes."""
    scope = group_scope(user)
    try:
        groups = sorted((g.id, g.name) for g in omt.groups_cached() if g.id in scope)
    except OMTraderError:
        groups = []
    return {"groups": groups, "symbol_codes": sorted(codes.values()),
            "enum_filters": [(name, LABELS[name], choices, getattr(criteria, name))
                             for name, choices in criteria.offered().items()]}


@require_GET
@permission_required("staff.view_trading", raise_exception=True)
def trading_home(request: HttpRequest) -> HttpResponse:
    """The navigation's entry: every trading page is under /trading/, so the area is marked
    current on each of them; it opens on the open positions."""
    return redirect(POSITIONS.url_name)


def _list_view(kind):
    @require_GET
    @vary_on_headers(*PARTIAL_HEADERS)
    @permission_required("staff.view_trading", raise_exception=True)
    def view(request: HttpRequest) -> HttpResponse:
        return _list(request, kind)

    view.__name__ = view.__qualname__ = kind.name.replace("-", "_") + "_list"
    return view


position_list = _list_view(POSITIONS)
order_list = _list_view(ORDERS)
position_history = _list_view(POSITION_HISTORY)
order_history = _list_view(ORDER_HISTORY)
deal_list = _list_view(DEALS)


@require_GET
@permission_required(["staff.view_trading", "staff.export_trading"], raise_exception=True)
def list_export(request: HttpRequest, kind_name: str) -> StreamingHttpResponse:
    kind = KINDS.get(kind_name)
    if kind is None:
        raise Http404("No such list.")
    omt, codes, criteria, accounts, plan = _criteria(request, kind)
    record("trading.export", request=request, entity_type="trading", entity_id=kind.name,
           after={"list": kind.name, "filters": criteria.state},
           detail=f"CSV export of {kind.title.lower()}: "
                  f"{reverse(kind.url_name)}?{_query(criteria.state)[:1500]}")
    records = source.stream(omt, criteria, plan, export.READ[kind.name])
    rows = export.list_rows(kind.name, records, symbols=codes, accounts=accounts,
                            zone=timezone.get_current_timezone())
    return csv_response(request, csv_chunks(export.header_of(kind.name), rows), kind.name)


# -- detail pages ------------------------------------------------------------------------------


def _account_info(request: HttpRequest, omt, account_id: int | None) -> source.AccountInfo:
    """The record's account from the directory (as the lists see it), read fresh when the
    directory does not know it yet; 404 out of scope."""
    info = source.directory(omt).get(account_id) if account_id is not None else None
    if info is None and account_id is not None:
        a = _fetch("account", lambda: omt.get_account(account_id))
        info = source.AccountInfo(a.id, a.group_id, a.client_id, a.currency, a.currency_digits)
    _account_for_user(request, info)
    return info


def _related_deals(omt, account_id: int, link: str, record_id: int, start=None,
                   end=None) -> list[Deal]:
    """The account's deals whose `link` (order_id, position_id) is the record, oldest first;
    `start`/`end` narrow the read to the record's lifetime (a minute either side), so an
    account's whole history is not read. Only those deals are parsed (source.raw_records)."""
    margin = timedelta(minutes=1)
    bounds = {"date_from": start - margin if start else None,
              "date_to": end + margin if end else None}
    records = source.raw_records(omt, "deals", account_id=account_id, sort_by="created_at",
                                 direction="ASC", **{k: v for k, v in bounds.items() if v})
    return [Deal.from_wire(raw) for raw in records if raw.get(link) == record_id]


def _detail_context(omt, account, item) -> dict:
    codes = source.symbol_codes(omt)
    return {"account": account, "symbol": item.symbol or codes.get(item.symbol_id, ""),
            "symbol_id": item.symbol_id, "currency": account.currency,
            "money_digits": account.digits}


@require_GET
@permission_required("staff.view_trading", raise_exception=True)
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    omt = get_omtrader()
    order = _fetch("order", lambda: omt.get_order(order_id))
    account = _account_info(request, omt, order.account_id)
    read = concurrent.start(deals=lambda: _related_deals(
        omt, order.account_id, "order_id", order.id, order.time_setup or order.created_at,
        order.time_done))
    return HttpResponse(render_around(
        request, "trading/order_detail.html",
        {"order": order, **_detail_context(omt, account, order)},
        {"deals_part": "order-deals"}, read.wait))


@require_GET
@permission_required("staff.view_trading", raise_exception=True)
def position_detail(request: HttpRequest, position_id: int) -> HttpResponse:
    omt = get_omtrader()
    position = _fetch("position", lambda: omt.get_position(position_id))
    account = _account_info(request, omt, position.account_id)
    closed = position.status is not None and position.status.code == CLOSED
    read = concurrent.start(deals=lambda: _related_deals(
        omt, position.account_id, "position_id", position.id, position.created_at,
        position.updated_at if closed else None))

    def deals() -> dict:
        found = read.wait()["deals"]
        opening = [d for d in found if d.direction is not None and d.direction.code == 0]
        return {"opening": opening,
                "closing": [d for d in found if d.direction is not None and d.direction.code == 1],
                "opening_order": opening[0].order_id if opening else None,
                "order_ids": list(dict.fromkeys(d.order_id for d in found if d.order_id))}

    return HttpResponse(render_around(
        request, "trading/position_detail.html",
        {"position": position, **_detail_context(omt, account, position)},
        {"orders_part": "position-orders", "deals_part": "position-deals"}, deals))


@require_GET
@permission_required("staff.view_trading", raise_exception=True)
def deal_detail(request: HttpRequest, deal_id: int) -> HttpResponse:
    omt = get_omtrader()
    deal = _fetch("deal", lambda: omt.get_deal(deal_id))
    account = _account_info(request, omt, deal.account_id)
    return render(request, "trading/deal_detail.html", {
        "deal": deal, **_detail_context(omt, account, deal)})


# -- the account statement ---------------------------------------------------------------------


def _statement(request: HttpRequest, account_id: int):
    notices: list[str] = []
    start, end = date_range(request.GET, notices)
    today = timezone.localdate()
    if end and end > today:
        notices.append("A statement ends today at the latest.")
    end = min(end or today, today)
    start = start or end.replace(day=1)
    if start > end:
        start = end
    omt = get_omtrader()
    built = _fetch("account", lambda: statements.build(
        omt, account_id, start, end, check=lambda a: _account_for_user(request, a)))
    return omt, built, start, end, notices


@require_GET
@permission_required("staff.view_trading", raise_exception=True)
def account_statement(request: HttpRequest, account_id: int) -> HttpResponse:
    as_csv = request.GET.get("format") == "csv"
    if as_csv and not request.user.has_perm("staff.export_trading"):
        raise PermissionDenied  # before the scope check, like every permission
    omt, built, start, end, notices = _statement(request, account_id)
    if as_csv:
        return _statement_csv(request, built, start, end)
    codes = source.symbol_codes(omt)
    return render(request, "trading/account_statement.html", {
        "statement": built, "account": built.account, "from": start, "to": end,
        "notices": notices, "codes": codes, "digits": built.digits,
        "lines": [(line, line.deal.symbol or codes.get(line.deal.symbol_id, ""))
                  for line in built.lines],
        "positions": [(p, p.symbol or codes.get(p.symbol_id, "")) for p in built.open_positions],
        "csv_query": _query({"from": start, "to": end}, format="csv"),
        "may_export": request.user.has_perm("staff.export_trading"),
    })


def _statement_csv(request, built, start: date, end: date) -> StreamingHttpResponse:
    record("trading.statement_export", request=request, entity_type="account",
           entity_id=built.account.id, group_id=built.account.group_id,
           after={"from": str(start), "to": str(end), "rows": len(built.lines)},
           detail=f"Statement of account {built.account.id}, {start} to {end}, as CSV")
    zone = timezone.get_current_timezone()
    header = ["Time", "Type", "Deal", "Symbol", "Side", "Volume", "Price", "P/L", "Commission",
              "Swap", "Amount", "Balance", "Comment"]
    codes = source.symbol_codes(get_omtrader())

    def rows():
        yield ["", "Opening balance", "", "", "", "", "", "", "", "", "",
               str(built.opening), ""]
        for line in built.lines:
            d = line.deal
            yield [export.safe(export.cell(v, zone)) for v in (
                d.created_at, line.kind, d.id, d.symbol or codes.get(d.symbol_id, ""), d.side,
                d.volume, d.price, d.profit, d.commission, d.swap, line.amount, line.balance,
                d.comment)]
        yield ["", "Closing balance", "", "", "", "", "", "", "", "", "",
               str(built.closing), ""]

    return csv_response(request, csv_chunks(header, rows()), f"statement-{built.account.id}")
