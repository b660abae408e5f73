"""Clients and KYC: the list, the export, the client 360 page, create / edit / delete, and
the KYC queue with its decisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_format
from django.template.defaultfilters import floatformat, linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import template_localtime
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import replace_url

from crmportal import csvfiles
from crmportal.audit import present
from crmportal.audit.models import AuditEntry
from crmportal.clients import export, index, kyc
from crmportal.clients.actions import (
    FourEyesRefused,
    do_create_client,
    do_decide_kyc,
    do_delete_client,
    do_update_client,
)
from crmportal.clients.fields import FIELDS, SECTIONS, STATUS_BADGES, enum_label, mask
from crmportal.clients.forms import (
    DEFAULT_SORT,
    ClientFilterForm,
    ClientForm,
    KycApproveForm,
    KycRejectForm,
)
from crmportal.clients.models import KycReview
from crmportal.errors import failed_write, panel_failed, write_failed
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.omtrader.bundles import begin_client_overview
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.concurrent import gather
from crmportal.omtrader.entities import Client, Group, TradingAccount
from crmportal.omtrader.enums import table
from crmportal.omtrader.errors import NotFound, OMTraderError, Rejected, Unavailable
from crmportal.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, as_rows, paginate
from crmportal.staff.scope import (
    ClientScope,
    client_scope,
    group_scope,
    in_scope,
    may_see_group,
)

NOT_FOUND = "OMTrader has no client with this id."
NOT_EVERY_GROUP = ("This client also has accounts in groups outside your scope, so changes to "
                   "the client record and KYC need a colleague who sees all of them.")

# -- access helpers ----------------------------------------------------------------------------


def _may_see_sensitive(user) -> bool:
    return user.has_perm("staff.view_sensitive_data")


def _accounts_of(client: Client, listed) -> list[TradingAccount]:
    """The accounts nested in the client and those listed for it, once each."""
    seen = {account.id: account for account in client.accounts}
    seen.update({account.id: account for account in listed})
    return sorted(seen.values(), key=lambda account: account.id)


def _scoped(request: HttpRequest, client: Client, accounts, *, write: bool) -> ClientScope:
    """The member's view of the client: 404 out of scope (exactly like a missing id), 403 for
    a write to a client that touches groups outside the scope."""
    seen = client_scope(request.user, client, accounts)
    if not seen.visible:
        raise Http404(NOT_FOUND)
    if write and not seen.may_write:
        raise PermissionDenied(NOT_EVERY_GROUP)
    return seen


def _client_for_user(request: HttpRequest, client_id: int, *,
                     write: bool = False) -> tuple[Client, ClientScope]:
    """The client fresh from OMTrader and what the member may see and do of it."""
    omt = get_omtrader()
    try:
        got = gather(client=lambda: omt.get_client(client_id),
                     accounts=lambda: omt.list_accounts(client_id=client_id, limit=1000))
    except NotFound:
        index.forget(client_id)
        raise Http404(NOT_FOUND) from None
    accounts = _accounts_of(got["client"], got["accounts"].items)
    return got["client"], _scoped(request, got["client"], accounts, write=write)


def _group_names(omt) -> dict[int, str]:
    """Group names from the cached reference data; ids alone if OMTrader cannot say."""
    try:
        return {group.id: group.name for group in omt.groups_cached()}
    except OMTraderError:
        return {}


def _symbol_codes(omt) -> dict[int, str]:
    try:
        return {sid: symbol.symbol for sid, symbol in omt.symbols_by_id().items()}
    except OMTraderError:
        return {}


def _client_type_groups(omt) -> list[Group]:
    return [g for g in omt.groups_cached()
            if g.group_type is None or g.group_type.code == 0]


# What a list row of clients shows (the KYC queue adds its own), read as values: no model
# instance per row.
ROW_FIELDS = ("id", "first_name", "middle_name", "family_name", "status", "kyc_status", "type",
              "email", "mobile", "country", "manager_id", "preferred_group", "accounts",
              "created_at")


def _decorate(page, names: dict[int, str]) -> None:
    """Names, links and labels for a page of index rows (`.values(*ROW_FIELDS, ...)`)."""
    statuses, types = table("ModelClientStatus"), table("ModelClientType")
    base = reverse("clients-list-clients")  # a client's page is <list>/<id>/
    for row in as_rows(page):
        row.name = " ".join(n for n in (row.first_name, row.middle_name, row.family_name) if n)
        row.url = f"{base}{row.id}/"
        row.status_label = statuses.get(row.status, "—") if row.status is not None else "—"
        row.status_badge = STATUS_BADGES.get(row.status, "muted")
        row.type_label = types.get(row.type, "") if row.type is not None else ""
        row.kyc_label = kyc.label_of(row.kyc_status)
        row.kyc_badge = kyc.badge_of(row.kyc_status)
        row.group_label = (names.get(row.preferred_group, f"#{row.preferred_group}")
                           if row.preferred_group is not None else "")
        # The day in the member's zone, formatted here: the `date` filter per row cost a
        # quarter of the rows' rendering (bench/pages.py --throughput).
        row.created_day = (timezone.localtime(row.created_at).strftime("%Y-%m-%d")
                           if row.created_at else "")


def _query(data: dict, **extra) -> str:
    values = {k: v for k, v in {**data, **extra}.items() if v not in (None, "")}
    return urlencode(values)


# -- the list and its export -------------------------------------------------------------------


def _filtered(request: HttpRequest, query):
    form, notices = ClientFilterForm.parse(query)
    rows = form.order(form.filter(index.visible_to(request.user)))
    return form, rows, notices


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required("staff.view_clients", raise_exception=True)
def client_list(request: HttpRequest) -> HttpResponse:
    form, rows, notices = _filtered(request, request.GET)
    omt = get_omtrader()
    freshness = index.ensure_fresh(omt)
    paged = paginate(rows.values(*ROW_FIELDS), request.GET)
    notices += paged.notices
    page, size = paged.page, paged.size
    names = _group_names(omt)
    _decorate(page, names)
    state = {k: v for k, v in form.cleaned_data.items() if k != "sort"}
    sort = form.sort_key
    size_part = {"size": size} if size != DEFAULT_PAGE_SIZE else {}
    if not wants_partial(request):  # the filter bar is outside the table partial
        form.offer(_filter_options(request.user, names))
    context = {
        "form": form,
        "page": page,
        "notices": notices,
        "freshness": freshness,
        "query": _query(state, sort=sort if sort != DEFAULT_SORT else "", **size_part),
        "sort": sort,
        "columns": _columns(state, sort, size_part),
        "export_query": _query(state, sort=sort if sort != DEFAULT_SORT else ""),
        "page_sizes": PAGE_SIZES,
        "may_change": request.user.has_perm("staff.change_clients"),
        "may_export": request.user.has_perm("staff.export_clients"),
        "default_size": DEFAULT_PAGE_SIZE,
        "default_sort": DEFAULT_SORT,
    }
    template = "clients/client_list.html"
    response = render(request, template + "#client-table" if wants_partial(request) else template,
                      context)
    if notices and wants_partial(request):
        page_part = {"page": page.number} if page.number > 1 else {}
        corrected = _query({**state, **page_part}, sort=sort if sort != DEFAULT_SORT else "",
                           **size_part)
        replace_url(response, request.path + ("?" + corrected if corrected else ""))
    return response


# The list's columns: label, sort key (None: not sortable), right-aligned.
COLUMNS = (("Id", "id", True), ("Name", "name", False), ("Status", "status", False),
           ("KYC", "kyc", False), ("Type", "type", False), ("E-mail", None, False),
           ("Mobile", None, False), ("Country", "country", False), ("Manager", "manager", True),
           ("Preferred group", None, False), ("Accounts", "accounts", True),
           ("Created", "created", False))


def _columns(state: dict, sort: str, size_part: dict) -> list[dict]:
    columns = []
    for label, key, num in COLUMNS:
        order = ("ascending" if sort == key else "descending" if sort == f"-{key}" else "")
        query = _query(state, sort=f"-{key}" if sort == key else key, **size_part) if key else ""
        columns.append({"label": label, "query": query, "num": num, "order": order})
    return columns


def _filter_options(user, names: dict[int, str]) -> dict:
    """The values the filters offer: what the user's clients have (kept a minute)."""
    scope = group_scope(user).limit
    key = "clients:filter-options:" + ("all" if scope is None else
                                       ",".join(map(str, sorted(scope))))
    values = cache.get(key)
    if values is None:
        rows = index.visible_to(user)
        values = {column: [v for v in rows.order_by(column).values_list(column, flat=True)
                           .distinct()[:500] if v not in (None, "")]
                  for column in ("manager_id", "country", "lead_source", "lead_campaign")}
        cache.set(key, values, 60)
    return {
        "manager": [(value, f"Manager #{value}") for value in values["manager_id"]],
        "group": sorted((gid, name) for gid, name in names.items()
                        if scope is None or gid in scope),
        **{name: [(value, value) for value in values[name]]
           for name in ("country", "lead_source", "lead_campaign")},
    }


@require_GET
@permission_required(["staff.view_clients", "staff.export_clients"], raise_exception=True)
def client_export(request: HttpRequest) -> StreamingHttpResponse:
    form, rows, notices = _filtered(request, request.GET)
    omt = get_omtrader()
    index.ensure_fresh(omt)
    csvfiles.record_export(request, "client", rows.count())
    chunks = export.csv_chunks(
        rows.values_list("record", flat=True).iterator(chunk_size=csvfiles.CHUNK_ROWS),
        may_see_sensitive=_may_see_sensitive(request.user),
        group_names=_group_names(omt),
        zone=timezone.get_current_timezone(),
    )
    return csvfiles.csv_response(request, chunks, "clients")


# -- the client 360 page -----------------------------------------------------------------------


@require_GET
@permission_required("staff.view_clients", raise_exception=True)
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    omt = get_omtrader()
    overview_of = begin_client_overview(omt, client_id, recent=20,
                                        shown=lambda a: may_see_group(request.user, a.group_id))
    # While OMTrader answers: the page's own database reads (shown only if the scope allows).
    audit = _audit_trail(client_id)
    reviews = list(KycReview.objects.filter(client_id=client_id)[:20])
    last_identity_change = kyc.last_identity_change(client_id)
    try:
        overview = overview_of()
    except NotFound:
        index.forget(client_id)
        raise Http404(NOT_FOUND) from None
    client = overview.client
    every_account = _accounts_of(client, overview.accounts)
    seen = _scoped(request, client, every_account, write=False)
    index.note_seen(client, every_account)
    accounts = seen.accounts
    names = _group_names(omt)
    sensitive = _may_see_sensitive(request.user)
    currency = {account.id: account.currency for account in accounts}
    digits = {account.id: account.currency_digits for account in accounts}
    codes = _symbol_codes(omt)
    context = {
        "client": client,
        "sections": _sections(client, names, sensitive, _people(omt, client)),
        "accounts": [(a, names.get(a.group_id, f"#{a.group_id}")) for a in accounts],
        "accounts_note": _hidden_note(seen.hidden_accounts),
        "positions_data": [
            ("client-id", client.id),
            ("account-ids", ",".join(str(a.id) for a in accounts)),
            ("group-ids", ",".join(map(str, sorted({a.group_id for a in accounts
                                                     if a.group_id is not None})))),
        ],
        "positions": [(p, currency.get(p.account_id, ""), p.symbol or codes.get(p.symbol_id, ""),
                       digits.get(p.account_id))
                      for p in in_scope(overview.positions, seen.account_ids)],
        "deals": [(d, currency.get(d.account_id, ""), d.symbol or codes.get(d.symbol_id, ""),
                   digits.get(d.account_id))
                  for d in in_scope(overview.deals, seen.account_ids)],
        "transactions": [(t, digits.get(t.account_id)) for t in sorted(
            in_scope((t for rows in overview.transactions.values() for t in rows),
                     seen.account_ids),
            key=lambda t: (t.created_at is not None, t.created_at, t.id), reverse=True)[:20]],
        "kyc_state": kyc.state_of(client.kyc_status),
        "kyc_label": kyc.label_of(client.kyc_status),
        "kyc_badge": kyc.badge_of(client.kyc_status),
        "reviews": reviews,
        "last_identity_change": last_identity_change,
        "audit": audit,
        "status_badge": STATUS_BADGES.get(client.status.code if client.status else None, "muted"),
        "may_change": request.user.has_perm("staff.change_clients") and seen.may_write,
        "may_decide": request.user.has_perm("staff.review_kyc") and seen.may_write,
        "may_open_account": request.user.has_perm("staff.change_accounts"),
        "shared_write_refused": not seen.may_write,
        "may_see_sensitive": sensitive,
        **{f"{panel}_error": panel_failed(error, PANEL_NAMES[panel])
           for panel, error in overview.failed.items()},
    }
    return render(request, "clients/client_detail.html", context)


PANEL_NAMES = {"positions": "Open positions", "deals": "Recent deals",
               "transactions": "Money movements"}


def _hidden_note(hidden: int) -> str:
    if not hidden:
        return ""
    return f"{hidden} more account{'s' if hidden != 1 else ''} in groups outside your scope."


def _audit_trail(client_id: int) -> list[AuditEntry]:
    entries = list(AuditEntry.objects.filter(entity_type="client", entity_id=str(client_id))
                   .order_by("-id")[:50])
    present.decorate(entries)
    return entries


PEOPLE = ("approved_by", "created_by", "updated_by")  # OMTrader user ids on a client record


def _people(omt, client: Client) -> dict[str, str]:
    """Names for the OMTrader user ids on the record that the portal can vouch for: its own
    account, and for an approval made through the portal, the reviewer. Others stay numbers."""
    try:
        own = omt.own_account_id()
    except OMTraderError:
        own = None
    shown = {name: f"CRM Portal (OMTrader user #{own})" for name in PEOPLE
             if own is not None and getattr(client, name) == own}
    if "approved_by" in shown:
        approval = (KycReview.objects.filter(client_id=client.id,
                                             decision=KycReview.Decision.APPROVED,
                                             upstream_outcome=KycReview.Outcome.OK)
                    .order_by("-decided_at").first())
        if approval is not None:
            shown["approved_by"] = (f"{approval.reviewer_username} through CRM Portal "
                                    f"(OMTrader user #{own})")
    return shown


def _sections(client: Client, names: dict[int, str], sensitive: bool,
              people: dict[str, str] | None = None) -> list:
    people = people or {}
    sections = []
    for key, title, fields in SECTIONS:
        rows = []
        for field in fields:
            value = getattr(client, field.name)
            masked = field.sensitive and not sensitive and value not in (None, "")
            if masked:
                value = mask(value)
            elif field.kind == "enum" and value is not None:
                value = value.label
            elif field.kind == "group" and value is not None:
                value = f"{names.get(value, 'Group')} (#{value})"
            elif field.name in people:
                value = people[field.name]
            elif field.name in PEOPLE and value is not None:
                value = f"OMTrader user #{value}"
            rows.append({"label": field.label, "value": value, "kind": field.kind,
                         "masked": masked, "name": field.name,
                         "shown": _shown(value, field.kind, masked)})
        sections.append((key, title, rows))
    return sections


def _shown(value, kind: str, masked: bool):
    """A field's value as the page writes it, formatted once here rather than by a chain of
    conditions per field in the template; None when nothing is on file."""
    if value is None or value == "":
        return None
    if masked:
        return value
    if kind in ("date", "datetime"):
        return date_format(template_localtime(value),
                           "Y-m-d" if kind == "date" else "Y-m-d H:i:s")
    if kind == "money":
        return floatformat(value, "2g")
    if kind == "manager":
        return f"Manager #{value}"
    if kind == "long":
        return linebreaksbr(value, autoescape=True)
    return value


# -- create, edit, delete ----------------------------------------------------------------------


def _form_options(request: HttpRequest) -> dict:
    return {
        "groups": _client_type_groups(get_omtrader()),
        "may_see_sensitive": _may_see_sensitive(request.user),
        "scope": group_scope(request.user).limit,
    }


def _written(form: ClientForm, write: Callable[[], Client]) -> Client | None:
    """The client a write returned; None when it failed, with why on the form: OMTrader's
    refusal on the fields it names, any other failure as what happened to the change."""
    try:
        return write()
    except Rejected as error:
        form.add_upstream_errors(error.field_errors, error.message)
    except OMTraderError as error:
        form.add_error(None, failed_write(error))
    return None


@require_http_methods(["GET", "POST"])
@permission_required("staff.change_clients", raise_exception=True)
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None, **_form_options(request))
    if request.method == "POST" and form.is_valid():
        client = _written(form, lambda: do_create_client(form.values(), actor=request.user))
        if client is not None:
            messages.success(request, f"Client #{client.id} {client.name} was created.")
            return redirect("clients-show-client", client_id=client.id)
    return render(request, "clients/client_form.html", {"form": form, "client": None})


@require_http_methods(["GET", "POST"])
@permission_required("staff.change_clients", raise_exception=True)
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    client, _ = _client_for_user(request, client_id, write=True)
    form = ClientForm(request.POST or None, client=client, **_form_options(request))
    if request.method == "POST" and form.is_valid():
        version = client.updated_at.isoformat() if client.updated_at else ""
        if form.cleaned_data["version"] and form.cleaned_data["version"] != version:
            form.add_error(None, "Someone changed this client in OMTrader after you opened this "
                                 "form. Your input is kept below: check it against the client "
                                 "page, then save again.")
            form.data = form.data.copy()
            form.data["version"] = version
        elif not (changes := form.changes()):
            messages.info(request, "Nothing was changed.")
            return redirect("clients-show-client", client_id=client.id)
        elif _written(form, lambda: do_update_client(client, changes,
                                                     actor=request.user)) is not None:
            labels = ", ".join(form.fields[name].label.lower() for name in changes)
            messages.success(request, f"Saved: {labels}.")
            return redirect("clients-show-client", client_id=client.id)
    return render(request, "clients/client_form.html", {"form": form, "client": client})


@require_http_methods(["GET", "POST"])
@permission_required("staff.change_clients", raise_exception=True)
def client_delete(request: HttpRequest, client_id: int) -> HttpResponse:
    client, seen = _client_for_user(request, client_id, write=True)
    error = ""
    if request.method == "POST":
        error = write_failed(lambda: do_delete_client(client, actor=request.user),
                             "deletion", "OMTrader refused to delete this client")
        if not error:
            messages.success(request, f"Client #{client.id} {client.name} was deleted.")
            return redirect("clients-list-clients")
    context = {"client": client, "accounts": seen.accounts, "error": error}
    return render(request, "clients/client_delete.html", context, status=409 if error else 200)


# -- KYC ---------------------------------------------------------------------------------------


QUEUE_VIEWS = {"waiting": "Waiting for a decision", "rekyc": "Documents expiring (re-KYC)"}


def _queue_context(request: HttpRequest, query) -> dict:
    notices = []
    view = query.get("view") or "waiting"
    if view not in QUEUE_VIEWS:
        notices.append(f"There is no list “{view[:30]}”; showing the clients waiting.")
        view = "waiting"
    freshness = index.ensure_fresh(get_omtrader())
    visible = index.visible_to(request.user).values(*ROW_FIELDS, "expiry_date", "record")
    today = timezone.localdate()
    horizon = today + timedelta(days=settings.KYC_REKYC_DAYS)
    lists = {
        "waiting": visible.filter(kyc.state_q(kyc.PENDING))
        .order_by(F("created_at").asc(nulls_last=True), "id"),
        "rekyc": visible.filter(expiry_date__lte=horizon).order_by("expiry_date", "id"),
    }
    paged = paginate(lists[view], query)
    notices += paged.notices
    page, size = paged.page, paged.size
    _decorate(page, _group_names(get_omtrader()))
    now = timezone.now()
    writable = index.writable_by(request.user, page)
    blocked = kyc.four_eyes_blocked(request.user, [row.id for row in page])
    for row in page:
        row.may_decide = row.id in writable
        row.four_eyes = row.id in blocked
        row.wait = kyc.waiting(row.created_at, now)
        row.expires_in = (row.expiry_date - today).days if row.expiry_date else None
        row.document_label = enum_label(FIELDS["document_type"],
                                        row.record.get("document_type")) or "Document"
    size_part = {"size": size} if size != DEFAULT_PAGE_SIZE else {}
    return {
        "view": view,
        "views": [(key, label, lists[key].count() if key != view else page.paginator.count)
                  for key, label in QUEUE_VIEWS.items()],
        "page": page,
        "notices": notices,
        "freshness": freshness,
        "query": _query({"view": view if view != "waiting" else ""}, **size_part),
        "page_sizes": PAGE_SIZES,
        "sla_hours": settings.KYC_SLA_HOURS,
        "rekyc_days": settings.KYC_REKYC_DAYS,
    }


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required("staff.review_kyc", raise_exception=True)
def kyc_queue(request: HttpRequest) -> HttpResponse:
    context = _queue_context(request, request.GET)
    template = "clients/kyc_queue.html"
    return render(request, template + "#kyc-table" if wants_partial(request) else template, context)


@require_GET
@permission_required("staff.review_kyc", raise_exception=True)
def kyc_review(request: HttpRequest, client_id: int) -> HttpResponse:
    client, seen = _client_for_user(request, client_id)
    return _review_page(request, client, KycApproveForm(), KycRejectForm(),
                        may_decide=seen.may_write)


def _review_page(request, client: Client, approve_form, reject_form, error: str = "",
                 status: int = 200, may_decide: bool = True) -> HttpResponse:
    names = _group_names(get_omtrader())
    sections = [s for s in _sections(client, names, _may_see_sensitive(request.user))
                if s[0] in ("identity", "documents", "address")]
    context = {
        "client": client,
        "sections": sections,
        "kyc_label": kyc.label_of(client.kyc_status),
        "kyc_badge": kyc.badge_of(client.kyc_status),
        "reviews": KycReview.objects.filter(client_id=client.id)[:20],
        "blocker": kyc.four_eyes_blocks(request.user, client.id),
        "last_identity_change": kyc.last_identity_change(client.id),
        "approve_form": approve_form,
        "reject_form": reject_form,
        "error": error,
        "may_decide": may_decide,
        "not_every_group": NOT_EVERY_GROUP,
        "expired": client.expiry_date is not None and client.expiry_date < timezone.localdate(),
    }
    return render(request, "clients/kyc_review.html", context, status=status)


def _after_decision(request, client: Client, forms: tuple, *, done: str = "", error: str = "",
                    status: int = 200) -> HttpResponse:
    """From the queue (htmx): the queue again with a notice. Else the review page / redirect."""
    if request.htmx:
        current = urlsplit(request.htmx.current_url_abs_path or "").query
        context = _queue_context(request, QueryDict(current))
        context["done"], context["error"] = done, error
        return render(request, "clients/kyc_queue.html#kyc-table", context)
    if error:
        return _review_page(request, client, *forms, error=error, status=status)
    messages.success(request, done)
    return redirect("kyc-list-queue")


def _decide(request, client_id: int, decision: str, form, forms: tuple) -> HttpResponse:
    client, _ = _client_for_user(request, client_id, write=True)
    if not form.is_valid():
        return _after_decision(request, client, forms, error="Check the decision form.",
                               status=400)
    try:
        do_decide_kyc(client, decision, form.cleaned_data.get("reason", ""),
                      form.cleaned_data.get("note", ""), actor=request.user)
    except FourEyesRefused as refused:
        return _after_decision(request, client, forms, error=refused.message, status=403)
    except Rejected as refused:
        return _after_decision(request, client, forms, status=409,
                               error=f"OMTrader refused the decision: {refused.message}")
    except OMTraderError as error:
        return _after_decision(request, client, forms,
                               status=503 if isinstance(error, Unavailable) else 502,
                               error=failed_write(error, "decision"))
    verb = "approved" if decision == KycReview.Decision.APPROVED else "rejected"
    return _after_decision(request, client, forms,
                           done=f"KYC of client #{client.id} {client.name} {verb}.")


@require_POST
@permission_required("staff.review_kyc", raise_exception=True)
def kyc_approve(request: HttpRequest, client_id: int) -> HttpResponse:
    form = KycApproveForm(request.POST)
    return _decide(request, client_id, KycReview.Decision.APPROVED, form,
                   (form, KycRejectForm()))


@require_POST
@permission_required("staff.review_kyc", raise_exception=True)
def kyc_reject(request: HttpRequest, client_id: int) -> HttpResponse:
    form = KycRejectForm(request.POST)
    return _decide(request, client_id, KycReview.Decision.REJECTED, form,
                   (KycApproveForm(), form))

