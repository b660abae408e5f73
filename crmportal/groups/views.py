"""Groups: the tree, a group's page (settings own / inherited, accounts, commissions, symbols)
and its edit with the impact preview."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from crmportal.errors import failed_write
from crmportal.groups import conditions, impact, tree
from crmportal.groups.access import MANAGE, READ, group_for, may_manage, visible_groups
from crmportal.groups.actions import do_update_group
from crmportal.groups.forms import GroupForm
from crmportal.groups.tiers import describe
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.concurrent import gather, start
from crmportal.omtrader.entities import Group
from crmportal.omtrader.errors import OMTraderError, Rejected
from crmportal.paging import paginate
from crmportal.staff.stepup import step_up_required

ACCOUNT_STATES = {"": "Every state", "healthy": "Healthy", "call": "At margin call",
                  "stop": "Stopped out"}
STATE_CODES = {"healthy": 0, "call": 1, "stop": 2}
ACCOUNTS_PAGE = 25


def currencies(omt) -> set[str]:
    """Currencies OMTrader knows: those of its groups and of its symbols."""
    known = {g.currency for g in omt.groups_cached() if g.currency}
    for symbol in omt.symbols_cached():
        known.update(c for c in (symbol.base_currency, symbol.quote_currency) if c)
    return {c.upper() for c in known if len(c) == 3 and c.isalpha()}


@require_GET
@permission_required(READ, raise_exception=True)
def group_list(request: HttpRequest) -> HttpResponse:
    omt = get_omtrader()
    pending = start(figures=lambda: tree.figures(omt))
    groups = visible_groups(request.user)
    figures, read_at = pending.wait()["figures"]
    return render(request, "groups/group_list.html",
                  {"rows": tree.rows(groups, figures), "read_at": read_at})


def _accounts_panel(request: HttpRequest, group: Group, accounts, positions) -> dict:
    open_count: dict[int, int] = {}
    for position in positions:
        open_count[position.account_id] = open_count.get(position.account_id, 0) + 1
    state = request.GET.get("state", "")
    query = (request.GET.get("q") or "").strip().lower()[:100]
    notices = []
    if state not in ACCOUNT_STATES:
        notices.append(f"There is no state “{state[:20]}”; showing every state.")
        state = ""
    rows = [a for a in accounts if a.group_id == group.id]
    if state:
        rows = [a for a in rows if a.liquidation_status and
                a.liquidation_status.code == STATE_CODES[state]]
    if query:
        rows = [a for a in rows if query in f"{a.id} {a.username} {a.holder_name} "
                                             f"{a.client_id}".lower()]
    query = request.GET.copy()
    query.setdefault("size", str(ACCOUNTS_PAGE))  # a panel of the page: a shorter page
    paged = paginate([(a, open_count.get(a.id, 0)) for a in rows], query)
    paging = urlencode({"panel": "accounts", "q": query, "state": state, "size": paged.size})
    return {"accounts": paged.page, "account_notices": notices + paged.notices,
            "account_paging": paging,
            "account_query": query, "account_state": state, "account_states": ACCOUNT_STATES}


@require_GET
@permission_required(READ, raise_exception=True)
@vary_on_headers(*PARTIAL_HEADERS)
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    omt = get_omtrader()
    group, groups = group_for(request.user, group_id)
    pending = start(
        group=lambda: omt.get_group(group_id),
        accounts=lambda: list(omt.iter_all(omt.list_accounts, group_id=group_id)),
        positions=lambda: list(omt.iter_all(omt.list_positions, group_id=group_id)),
        commissions=lambda: omt.list_commissions(group_id),
        symbols=lambda: omt.list_group_symbols(group_id),
    )
    got = pending.wait()
    group = got["group"]
    accounts = [a for a in got["accounts"] if a.group_id == group.id]
    account_ids = {a.id for a in accounts}
    positions = [p for p in got["positions"] if p.account_id in account_ids]
    context = _accounts_panel(request, group, accounts, positions)
    if wants_partial(request) and request.GET.get("panel") == "accounts":
        return render(request, "groups/group_detail.html#group-accounts",
                      {**context, "group": group})
    by_id = {g.id: g for g in groups} | {group.id: group}
    visible = {g.id for g in visible_groups(request.user)}
    children = sorted((g for g in groups if g.parent_id == group.id and g.id in visible),
                      key=lambda g: g.id)
    parent = by_id.get(group.parent_id) if group.parent_id in visible else None
    context.update({
        "group": group, "parent": parent, "children": children,
        "settings": conditions.resolve(group, by_id), "visible_ids": visible,
        "commissions": [(c, [describe(t, group.currency) for t in c.tiers])
                        for c in got["commissions"]],
        "group_symbols": got["symbols"],
        "enabled_symbols": sum(1 for s in got["symbols"] if s.enabled),
        "total_accounts": len(accounts), "open_positions": len(positions),
        "balance": sum((a.balance or Decimal(0) for a in accounts), Decimal(0)),
        "equity": sum((a.equity or Decimal(0) for a in accounts), Decimal(0)),
        "may_manage": may_manage(request.user, group.id),
    })
    return render(request, "groups/group_detail.html", context)


def _signature(changes: dict) -> str:
    """What was previewed, so a confirmation applies exactly that."""
    text = json.dumps(changes, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@require_http_methods(["GET", "POST"])
@permission_required(READ, raise_exception=True)
@permission_required(MANAGE, raise_exception=True)
@step_up_required
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    omt = get_omtrader()
    cached, groups = group_for(request.user, group_id, write=True)
    calls = {"group": lambda: omt.get_group(group_id)}
    if request.method == "POST":  # what a preview needs, read together with the group
        calls.update(impact.reads(omt, cached, groups))
    got = gather(**calls)
    group = got["group"]
    form = GroupForm(request.POST or None, group=group, currencies=currencies(omt))
    context = {"form": form, "group": group}
    if request.method == "POST" and form.is_valid():
        version = group.updated_at.isoformat() if group.updated_at else ""
        changes = form.changes()
        found = impact.preview(got, group, groups, impact.levels_of(changes, group),
                               impact.levels_of({}, group))
        if form.cleaned_data["version"] and form.cleaned_data["version"] != version:
            form.add_error(None, "Someone changed this group in OMTrader after you opened this "
                                 "form. Your input is kept below: check it, then preview again.")
            form.data = form.data.copy()
            form.data["version"] = version
        elif not changes:
            messages.info(request, "Nothing was changed.")
            return redirect("groups-show-group", group_id=group.id)
        elif request.POST.get("confirm") != _signature(changes):
            context.update(_preview_context(group, changes, found))
        elif more := _new_stop_outs(request.POST.get("previewed", ""), found):
            context.update(_preview_context(group, changes, found), more_stop_outs=more)
        else:
            return _apply(request, form, group, changes, found, context)
    return render(request, "groups/group_form.html", context)


def _new_stop_outs(previewed: str, found: impact.Preview) -> list[int]:
    """Accounts that would now be stopped out but were not in the preview the member saw
    (prices moved meanwhile): the change is previewed again rather than saved."""
    seen = {int(part) for part in previewed.split(",") if part.strip().isdigit()}
    return sorted(a.account.id for a in found.stop_outs if a.account.id not in seen)


def _preview_context(group: Group, changes: dict, found: impact.Preview) -> dict:
    rows = []
    for name, value in changes.items():
        setting = conditions.BY_NAME[name]
        after = conditions.enum_label(setting, value)
        rows.append((setting.label, conditions.display(setting, getattr(group, name)),
                     conditions.display(setting, after)))
    return {"preview": found, "signature": _signature(changes), "change_rows": rows,
            "levels_change": any(name in changes for name in conditions.LEVELS)}


def _apply(request, form, group, changes, found, context) -> HttpResponse:
    detail = (f"Preview: {len(found.stop_outs)} account(s) at stop out "
              f"{[a.account.id for a in found.stop_outs]}, {len(found.margin_calls)} at margin "
              f"call, of {found.accounts} checked.")
    try:
        do_update_group(group, changes, actor=request.user, detail=detail)
    except Rejected as error:
        form.add_upstream_errors(error.field_errors, error.message)
    except OMTraderError as error:
        form.add_error(None, failed_write(error))
    else:
        labels = ", ".join(form.fields[name].label.lower() for name in changes)
        messages.success(request, f"Saved: {labels}.")
        return redirect("groups-show-group", group_id=group.id)
    return render(request, "groups/group_form.html", context)
