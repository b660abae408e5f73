"""Symbols (the list and a symbol's page) and a group's symbols: the overrides beside the
symbol's own values, edited in place row by row through htmx, and enabled or disabled in
bulk."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from crmportal.errors import failed_write
from crmportal.groups.access import (
    MANAGE,
    READ,
    group_for,
    may_manage,
    row_in,
    symbol_for,
    visible_symbol_ids,
)
from crmportal.groups.actions import do_set_enabled, do_update_group_symbol
from crmportal.groups.forms import GroupSymbolForm, SymbolFilterForm
from crmportal.groups.views_commissions import symbol_classes
from crmportal.htmx import PARTIAL_HEADERS, render_error, wants_partial
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.concurrent import gather
from crmportal.omtrader.errors import OMTraderError, Rejected
from crmportal.paging import paginate
from crmportal.staff.scope import group_scope
from crmportal.staff.stepup import step_up_required


@require_GET
@permission_required(READ, raise_exception=True)
@vary_on_headers(*PARTIAL_HEADERS)
def symbol_list(request: HttpRequest) -> HttpResponse:
    omt = get_omtrader()
    got = gather(symbols=omt.symbols_cached, visible=lambda: visible_symbol_ids(request.user))
    symbols = got["symbols"]
    if got["visible"] is not None:
        symbols = [s for s in symbols if s.id in got["visible"]]
    classes = symbol_classes(omt)
    form = SymbolFilterForm(request.GET, classes)
    filters, notices = form.parse()
    query = (filters.get("q") or "").strip().lower()
    if query:
        symbols = [s for s in symbols if query in s.symbol.lower() or query in s.desc.lower()]
    if filters.get("cls") is not None:
        symbols = [s for s in symbols if s.symbol_class_id == filters["cls"]]
    if filters.get("enabled"):
        symbols = [s for s in symbols if s.enabled == (filters["enabled"] == "yes")]
    paged = paginate(sorted(symbols, key=lambda s: s.symbol), request.GET)
    kept = {name: request.GET[name] for name in ("q", "cls", "enabled", "size")
            if request.GET.get(name) and name not in form.errors}
    context = {"page": paged.page, "notices": notices + paged.notices, "form": form,
               "classes": classes, "query": urlencode(kept),
               "user_sees_all": got["visible"] is None}
    if wants_partial(request):
        response = render(request, "groups/symbol_list.html#symbol-table", context)
        if notices:
            return replace_url(response, request.path)
        return response
    return render(request, "groups/symbol_list.html", context)


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@require_GET
@permission_required(READ, raise_exception=True)
def symbol_detail(request: HttpRequest, symbol_id: int) -> HttpResponse:
    symbol, offers = symbol_for(request.user, symbol_id)
    fields = [(name.replace("_", " ").capitalize(), _shown(getattr(symbol, name)))
              for name in symbol.__dataclass_fields__]
    context = {"symbol": symbol, "fields": fields, "offers": offers,
               "user_sees_all": group_scope(request.user).all,
               "symbol_class": symbol_classes(get_omtrader()).get(symbol.symbol_class_id, "")}
    return render(request, "groups/symbol_detail.html", context)


def _rows(group_id: int):
    omt = get_omtrader()
    got = gather(rows=lambda: omt.list_group_symbols(group_id), symbols=omt.symbols_by_id,
                 commissions=lambda: omt.list_commissions(group_id))
    return got["rows"], got["symbols"], got["commissions"]


def _row_context(group, row, symbols, commissions) -> dict:
    by_id = {c.id: c for c in commissions}
    return {"group": group, "row": row, "symbol": symbols.get(row.symbol_id),
            "commission": by_id.get(row.commission_id)}


@require_GET
@permission_required(READ, raise_exception=True)
def group_symbols(request: HttpRequest, group_id: int) -> HttpResponse:
    group, _ = group_for(request.user, group_id)
    rows, symbols, commissions = _rows(group.id)
    by_id = {c.id: c for c in commissions}
    context = {"group": group, "may_manage": may_manage(request.user, group.id),
               "rows": [(r, symbols.get(r.symbol_id), by_id.get(r.commission_id)) for r in rows]}
    return render(request, "groups/group_symbols.html", context)


@require_GET
@permission_required(READ, raise_exception=True)
def group_symbol_row(request: HttpRequest, group_id: int, row_id: int) -> HttpResponse:
    """One row as shown (the inline editor's Cancel)."""
    group, _ = group_for(request.user, group_id)
    rows, symbols, commissions = _rows(group.id)
    row = row_in(rows, row_id)
    return render(request, "groups/group_symbols.html#symbol-row",
                  {**_row_context(group, row, symbols, commissions),
                   "may_manage": may_manage(request.user, group.id)})


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
@step_up_required
def group_symbol_edit(request: HttpRequest, group_id: int, row_id: int) -> HttpResponse:
    """GET: the row as a form; POST: save it and answer the row as shown (or the form again
    with its errors)."""
    group, _ = group_for(request.user, group_id, write=True)
    rows, symbols, commissions = _rows(group.id)
    row = row_in(rows, row_id)
    form = GroupSymbolForm(request.POST or None, row=row, commissions=commissions)
    context = {**_row_context(group, row, symbols, commissions), "form": form,
               "may_manage": True}
    if request.method == "POST":
        if form.is_valid():
            changes = form.changes()
            try:
                if changes:
                    saved = do_update_group_symbol(row, changes, actor=request.user)
                    context.update(_row_context(group, saved, symbols, commissions))
            except Rejected as error:
                form.add_upstream_errors(error.field_errors, error.message)
            except OMTraderError as error:
                if wants_partial(request):  # the row stays as it is; the alert says why
                    return render_error(request, "groups/group_symbols.html",
                                        {**context, "error": failed_write(error)}, status=502,
                                        partial="symbol-error")
                form.add_error(None, failed_write(error))
            else:
                if not wants_partial(request):
                    messages.success(request, f"{row.symbol}: saved.")
                    return redirect("groups-list-group-symbols", group_id=group.id)
                return render(request, "groups/group_symbols.html#symbol-row", context)
    # A form with errors answers 200 like every form of the portal: htmx swaps it into the row
    # (django-htmx's debug script would show a 4xx as a whole error document).
    partial = "#symbol-row-form" if wants_partial(request) else ""
    template = "groups/group_symbols.html" if partial else "groups/group_symbol_form.html"
    return render(request, template + partial, context)


@require_POST
@permission_required(MANAGE, raise_exception=True)
@step_up_required
def group_symbols_bulk(request: HttpRequest, group_id: int) -> HttpResponse:
    group, _ = group_for(request.user, group_id, write=True)
    action = request.POST.get("bulk")
    if action not in ("enable", "disable"):
        messages.error(request, "Choose whether to enable or disable the selected symbols.")
        return redirect("groups-list-group-symbols", group_id=group.id)
    rows, _, _ = _rows(group.id)
    wanted = set(request.POST.getlist("row"))
    chosen = [r for r in rows if str(r.id) in wanted]
    if not chosen:
        messages.error(request, "Select at least one symbol of this group.")
        return redirect("groups-list-group-symbols", group_id=group.id)
    done, failed = do_set_enabled(chosen, action == "enable", actor=request.user)
    if done:
        messages.success(request, f"{action.capitalize()}d: "
                                  f"{', '.join(r.symbol for r in done)}.")
    if len(done) + len(failed) < len(chosen):
        messages.info(request, f"{len(chosen) - len(done) - len(failed)} were already "
                               f"{action}d.")
    for row, error in failed:
        messages.error(request, f"{row.symbol}: {failed_write(error)}")
    return redirect("groups-list-group-symbols", group_id=group.id)
