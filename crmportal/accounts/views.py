"""Trading accounts: the list, its export, the account page, open / edit / delete and
password reset. Scope is exact group scope: an account is seen and changed only when its group
is in the member's scope; out of scope answers like missing (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from crmportal.accounts import export, index
from crmportal.accounts.actions import (
    do_create_account,
    do_delete_account,
    do_reset_password,
    do_update_account,
)
from crmportal.accounts.forms import (
    DEFAULT_SORT,
    PASSWORD_RULE,
    AccountFilterForm,
    AccountForm,
    PasswordResetForm,
)
from crmportal.accounts.overview import begin_account_overview
from crmportal.audit import present
from crmportal.audit.models import AuditEntry
from crmportal.clients.views import _query, _symbol_codes
from crmportal.csvfiles import CHUNK_ROWS, csv_response, record_export
from crmportal.errors import failed_write, panel_failed, write_failed
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.money.history import account_panel
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import Group, TradingAccount
from crmportal.omtrader.enums import table
from crmportal.omtrader.errors import NotFound, OMTraderError, Rejected
from crmportal.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, paginate, positive_int
from crmportal.staff.scope import client_scope, group_scope, may_see_group, may_write_account

NOT_FOUND = "OMTrader has no trading account with this id."
CLIENT_NOT_FOUND = "OMTrader has no client with this id."
VIEW = "staff.view_clients"
CHANGE = "staff.change_accounts"
EXPORT = "staff.export_accounts"

# -- access ------------------------------------------------------------------------------------


def _in_scope(request: HttpRequest, account: TradingAccount) -> TradingAccount:
    """404 out of scope, exactly like a missing id."""
    if not may_see_group(request.user, account.group_id):
        raise Http404(NOT_FOUND)
    return account


def _account_for_user(request: HttpRequest, account_id: int) -> TradingAccount:
    """The account fresh from OMTrader for a write: its group must be in the member's scope
    (exact group scope: what a member sees of an account, they may change), else 404."""
    try:
        account = get_omtrader().get_account(account_id)
    except NotFound:
        index.forget(account_id)
        raise Http404(NOT_FOUND) from None
    if not may_write_account(request.user, account):
        raise Http404(NOT_FOUND)
    return account


def _groups(omt) -> list[Group]:
    try:
        return omt.groups_cached()
    except OMTraderError:
        return []


def _writable_groups(request: HttpRequest, omt) -> list[Group]:
    """Client groups (type 0) in the member's scope: where an account may be opened."""
    return [g for g in _groups(omt) if (g.group_type is None or g.group_type.code == 0)
            and not g.is_root and may_see_group(request.user, g.id)]


# -- the list and its export -------------------------------------------------------------------


def _filtered(request: HttpRequest, query):
    form, notices = AccountFilterForm.parse(query)
    return form, form.order(form.filter(index.visible_to(request.user))), notices


COLUMNS = (("Account", "id", True), ("Username", "username", False),
           ("Client", "client", True), ("Group", "group", False),
           ("Currency", "currency", False), ("Leverage", "leverage", True),
           ("Balance", "balance", True), ("Credit", "credit", True), ("Equity", "equity", True),
           ("Margin", "margin", True), ("Free margin", "free", True),
           ("Margin level", "level", True), ("Floating P/L", "profit", True),
           ("State", "status", False))


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required(VIEW, raise_exception=True)
def account_list(request: HttpRequest) -> HttpResponse:
    form, rows, notices = _filtered(request, request.GET)
    omt = get_omtrader()
    freshness = index.ensure_fresh(omt)
    paged = paginate(rows.defer("search_text"), request.GET)
    notices += paged.notices
    page, size = paged.page, paged.size
    names = {g.id: g.name for g in _groups(omt)}
    _decorate(page, names)
    state = {k: v for k, v in form.cleaned_data.items() if k != "sort"}
    sort = form.sort_key
    size_part = {"size": size} if size != DEFAULT_PAGE_SIZE else {}
    sort_part = sort if sort != DEFAULT_SORT else ""
    if not wants_partial(request):
        scope = group_scope(request.user).limit
        form.offer(sorted((gid, name) for gid, name in names.items()
                          if scope is None or gid in scope),
                   list(index.visible_to(request.user).order_by("currency")
                        .values_list("currency", flat=True).distinct()[:50]))
    context = {
        "form": form, "page": page, "notices": notices, "freshness": freshness,
        "query": _query(state, sort=sort_part, **size_part),
        "sort": sort,
        "columns": [_column(label, key, num, state, sort, size_part)
                    for label, key, num in COLUMNS],
        "export_query": _query(state, sort=sort_part),
        "page_sizes": PAGE_SIZES, "default_size": DEFAULT_PAGE_SIZE,
        "default_sort": DEFAULT_SORT,
        "may_change": request.user.has_perm(CHANGE),
        "may_export": request.user.has_perm(EXPORT),
    }
    template = "accounts/account_list.html"
    response = render(request, template + "#account-table" if wants_partial(request)
                      else template, context)
    if notices and wants_partial(request):
        page_part = {"page": page.number} if page.number > 1 else {}
        corrected = _query({**state, **page_part}, sort=sort_part, **size_part)
        replace_url(response, request.path + ("?" + corrected if corrected else ""))
    return response


def _column(label: str, key: str, num: bool, state: dict, sort: str, size_part: dict) -> dict:
    order = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
    return {"label": label, "num": num, "order": order,
            "query": _query(state, sort=f"-{key}" if sort == key else key, **size_part)}


def _decorate(rows, names: dict[int, str]) -> None:
    """Rows arrive ready to print: the row markup looks things up, it does not format."""
    states, types = table("ModelLiqudationStatus"), table("ModelTradeType")
    base, clients = reverse("accounts-list-accounts"), reverse("clients-list-clients")
    for row in rows:
        row.url = f"{base}{row.id}/"
        row.client_url = f"{clients}{row.client_id}/" if row.client_id is not None else ""
        row.group_label = names.get(row.group_id, f"#{row.group_id}")
        row.state_label = states.get(row.liquidation_status, "")
        row.type_label = types.get(row.trade_type, "")
        row.with_margin = bool(row.margin)


@require_GET
@permission_required([VIEW, EXPORT], raise_exception=True)
def account_export(request: HttpRequest) -> StreamingHttpResponse:
    form, rows, notices = _filtered(request, request.GET)
    omt = get_omtrader()
    index.ensure_fresh(omt)
    record_export(request, "account", rows.count())
    chunks = export.csv_chunks(rows.iterator(chunk_size=CHUNK_ROWS),
                               group_names={g.id: g.name for g in _groups(omt)})
    return csv_response(request, chunks, "accounts")


# -- the account page --------------------------------------------------------------------------

PANEL_NAMES = {"positions": "Open positions", "orders": "Pending orders",
               "deals": "Recent deals", "transactions": "Money movements",
               "groups": "The group's margin levels"}


@require_GET
@permission_required(VIEW, raise_exception=True)
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    omt = get_omtrader()
    overview_of = begin_account_overview(omt, account_id)
    audit = list(AuditEntry.objects.filter(entity_type="account", entity_id=str(account_id))
                 .order_by("-id")[:50])  # while OMTrader answers; shown only in scope
    try:
        overview = overview_of()
    except NotFound:
        index.forget(account_id)
        raise Http404(NOT_FOUND) from None
    account = _in_scope(request, overview.account)
    index.store(account)
    present.decorate(audit)
    digits = account.currency_digits
    codes = _symbol_codes(omt)
    errors = {f"{panel}_error": panel_failed(error, PANEL_NAMES[panel])
              for panel, error in overview.failed.items()}
    context = {
        "account": account,
        "group": overview.group,
        "summary": account,
        "positions": [(p, p.symbol or codes.get(p.symbol_id, "")) for p in overview.positions],
        "orders": [(o, o.symbol or codes.get(o.symbol_id, "")) for o in overview.orders],
        "deals": [(d, d.symbol or codes.get(d.symbol_id, "")) for d in overview.deals],
        "digits": digits,
        "audit": audit,
        "may_change": request.user.has_perm(CHANGE),
        **errors,
        **account_panel(account, request.user, overview.transactions,
                        errors.get("transactions_error", "")),
    }
    return render(request, "accounts/account_detail.html", context)


# -- open, edit, password, delete --------------------------------------------------------------


def _client_for_open(request: HttpRequest, client_id: int):
    """The client an account is opened for: visible to the member (404 otherwise)."""
    omt = get_omtrader()
    try:
        client = omt.get_client(client_id)
        accounts = omt.list_accounts(client_id=client_id, limit=1000).items
    except NotFound:
        raise Http404(CLIENT_NOT_FOUND) from None
    if not client_scope(request.user, client, accounts).visible:
        raise Http404(CLIENT_NOT_FOUND)
    return client


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE, raise_exception=True)
def account_create(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("client", "")
    client_id = positive_int(raw, 0)
    if not client_id or str(client_id) != raw.strip():
        return render(request, "accounts/account_pick_client.html",
                      {"error": "Enter a client number." if raw else ""},
                      status=400 if raw else 200)
    client = _client_for_open(request, client_id)
    omt = get_omtrader()
    groups = _writable_groups(request, omt)
    form = AccountForm(request.POST or None, groups=groups, client=client)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if not form.errors:
            try:
                account = do_create_account(client.id, values, actor=request.user)
            except Rejected as error:
                form.add_upstream_errors(error.field_errors, error.message)
            except OMTraderError as error:
                form.add_error(None, failed_write(error, "new account"))
            else:
                return _show_passwords(request, account, values, "opened")
    context = {"form": form, "client": client, "account": None, "groups": groups,
               "password_rule": PASSWORD_RULE}
    return render(request, "accounts/account_form.html", context,
                  status=400 if form.errors else 200)


def _show_passwords(request, account: TradingAccount, values: dict, verb: str) -> HttpResponse:
    """The passwords, once, on this answer only: never stored, logged or put in a message."""
    shown = [(label, values[name]) for name, label in
             (("user_password", "Main password"), ("investor_password", "Investor password"))
             if values.get(name)]
    response = render(request, "accounts/account_passwords.html",
                      {"account": account, "passwords": shown, "verb": verb})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required(CHANGE, raise_exception=True)
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account_for_user(request, account_id)
    omt = get_omtrader()
    groups = _writable_groups(request, omt)
    if account.group_id not in {g.id for g in groups}:  # keep the current group choosable
        groups += [g for g in _groups(omt) if g.id == account.group_id]
    form = AccountForm(request.POST or None, groups=groups, account=account)
    form.fields["group_id"].widget.attrs.update({
        "hx-get": request.path, "hx-trigger": "change", "hx-target": "#group-levels",
        "hx-swap": "outerHTML", "hx-push-url": "false"})
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, "Nothing was changed.")
            return redirect("accounts-show-account", account_id=account.id)
        try:
            do_update_account(account, changes, actor=request.user)
        except Rejected as error:
            form.add_upstream_errors(error.field_errors, error.message)
        except OMTraderError as error:
            form.add_error(None, failed_write(error))
        else:
            messages.success(request, f"Account #{account.id} saved.")
            return redirect("accounts-show-account", account_id=account.id)
    move = form.group_move(request.GET if request.method == "GET" else None)
    context = {"form": form, "account": account, "client": None, "groups": groups,
               "move": move, "below": _below(account, move),
               "group": next((g for g in groups if g.id == account.group_id), None)}
    template = "accounts/account_form.html"
    if request.method == "GET" and wants_partial(request):  # the group select asks
        template += "#group-levels"
    return render(request, template, context, status=400 if form.errors else 200)


def _below(account: TradingAccount, group: Group | None) -> str:
    """A warning when the account's margin level is under the new group's levels."""
    if group is None or not account.margin or account.margin_level is None:
        return ""
    for name, level in (("stop-out", group.margin_stop_out), ("margin call", group.margin_call)):
        if level is not None and account.margin_level < level:
            return (f"The account's margin level is {account.margin_level} %, below "
                    f"{group.name}'s {name} level of {level} %.")
    return ""


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE, raise_exception=True)
def account_password(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account_for_user(request, account_id)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen()
        if chosen:
            which, password = chosen
            try:
                do_reset_password(account, which, password, actor=request.user)
            except Rejected as error:
                form.add_upstream_errors({"password": error.field_errors.get(which, "")}
                                         if error.field_errors else {}, error.message)
            except OMTraderError as error:
                form.add_error(None, failed_write(error, "password"))
            else:
                return _show_passwords(request, account, {which: password}, "given a new password")
    return render(request, "accounts/account_password.html",
                  {"form": form, "account": account, "password_rule": PASSWORD_RULE},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE, raise_exception=True)
def account_delete(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account_for_user(request, account_id)
    error = ""
    if request.method == "POST":
        error = write_failed(lambda: do_delete_account(account, actor=request.user),
                             "deletion", "OMTrader refused to delete this account")
        if not error:
            messages.success(request, f"Account #{account.id} was deleted.")
            if account.client_id is not None:
                return redirect("clients-show-client", client_id=account.client_id)
            return redirect("accounts-list-accounts")
    return render(request, "accounts/account_delete.html", {"account": account, "error": error},
                  status=409 if error else 200)
