"""Money: the operation form and its confirm step, an operation's page with the checker's
decision, the approval queue, the reconciliation page, and the movements list with its
export."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from crmportal.audit import present
from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.csvfiles import CHUNK_ROWS, csv_response
from crmportal.errors import failed_write
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.money import export, history, rules, tokens
from crmportal.money.actions import (
    ENTITY,
    Refused,
    Reused,
    decision_blocker,
    denial,
    do_approve,
    do_reject,
    do_submit_operation,
    expire_requests,
)
from crmportal.money.forms import DecisionForm, MovementFilterForm, OperationForm, RejectForm
from crmportal.money.models import MoneyOperation
from crmportal.money.reconcile import reconcile_pending
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import Client, TradingAccount
from crmportal.omtrader.errors import NotFound, OMTraderError
from crmportal.paging import paginate
from crmportal.staff.scope import may_see_group
from crmportal.staff.stepup import step_up_required

State = MoneyOperation.State
NO_ACCOUNT = "OMTrader has no account with this number."
NO_OPERATION = "There is no money operation with this reference."
DONE = {
    State.REQUESTED: "Operation {ref} is waiting for a second member's approval.",
    State.CONFIRMED: "Operation {ref} was booked by OMTrader.",
    State.RECONCILED: "Operation {ref} was booked by OMTrader.",
    State.UNKNOWN: ("OMTrader did not confirm operation {ref}: its outcome is unknown. The "
                    "portal looks for it in the account's history and never sends it twice; "
                    "do not enter it again."),
    State.REFUSED: "OMTrader refused operation {ref}: {message}",
    State.NOT_SENT: "Operation {ref} was not sent: {message}. Nothing was booked.",
}

# -- access helpers ----------------------------------------------------------------------------


def _account(request: HttpRequest, account_id: int) -> TradingAccount:
    """The account fresh from OMTrader; out of scope answers exactly like missing."""
    try:
        account = get_omtrader().get_account(account_id)
    except NotFound:
        raise Http404(NO_ACCOUNT) from None
    if not may_see_group(request.user, account.group_id):
        raise Http404(NO_ACCOUNT)
    return account


def _owner(account: TradingAccount) -> Client | None:
    if account.client_id is None:
        return None
    try:
        return get_omtrader().get_client(account.client_id)
    except OMTraderError:
        return None  # the KYC gate then refuses what needs it


def _operation(request: HttpRequest, reference: str) -> MoneyOperation:
    op = MoneyOperation.objects.filter(reference=reference).first()
    if op is None or not may_see_group(request.user, op.group_id):
        raise Http404(NO_OPERATION)
    return op


def _digits(account: TradingAccount) -> int:
    return account.currency_digits if account.currency_digits is not None else 2


# -- a new operation: the form, then the confirm step ------------------------------------------


def _form_page(request, account, form, *, error: str = "", status: int = 200,
               earlier: MoneyOperation | None = None) -> HttpResponse:
    context = {"account": account, "form": form, "error": error, "earlier": earlier,
               "threshold": rules.threshold_for(account.currency),
               "kyc_types": [rules.TYPES[k] for k in rules.TYPES if rules.kyc_required(k)]}
    return render(request, "money/operation_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required("staff.transfer_money", raise_exception=True)
@step_up_required
def operation_create(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    form = OperationForm(request.POST or None, digits=_digits(account), currency=account.currency)
    if request.method != "POST":
        return _form_page(request, account, form)
    if not form.is_valid():
        return _form_page(request, account, form, status=400)
    kind, amount = form.cleaned_data["type"], form.cleaned_data["amount"]
    comment = form.cleaned_data["comment"]
    refused = denial(account, _owner(account), kind, amount, request.user)
    if refused:
        form.add_error("amount" if kind in rules.OUTGOING else None, refused)
        return _form_page(request, account, form, status=409)
    now, after = rules.now_and_after(account, kind, amount)
    context = {
        "account": account, "kind": kind, "kind_label": rules.TYPES[kind], "amount": amount,
        "comment": comment, "now": now, "after": after, "digits": _digits(account),
        "needs_approval": rules.needs_approval(kind, amount, account.currency),
        "threshold": rules.threshold_for(account.currency),
        "token": tokens.issue(request.user, account.id, kind, str(amount), comment),
    }
    return render(request, "money/operation_confirm.html", context)


@require_POST
@permission_required("staff.transfer_money", raise_exception=True)
@step_up_required
def operation_confirm(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    form = OperationForm(digits=_digits(account), currency=account.currency)
    try:
        data = tokens.read(request.POST.get("token", ""), request.user, account.id)
    except tokens.BadToken as error:
        record("money.refuse", actor=request.user, entity_type="account", entity_id=account.id,
               group_id=account.group_id, outcome=AuditEntry.Outcome.DENIED, detail=str(error))
        return _form_page(request, account, form, error=str(error), status=400)
    form = OperationForm(initial={"type": data["t"], "amount": data["m"], "comment": data["c"]},
                         digits=_digits(account), currency=account.currency)
    try:
        op = do_submit_operation(account, _owner(account), data["t"], Decimal(data["m"]),
                                 data["c"], data["n"], actor=request.user)
    except Reused as reused:
        return _form_page(request, account, form, error=reused.message, status=409,
                          earlier=reused.operation)
    except Refused as refused:
        return _form_page(request, account, form, error=refused.message, status=409)
    text = DONE.get(op.state, "Operation {ref} is {state}.").format(
        ref=op.reference, message=op.message, state=op.get_state_display().lower())
    level = (messages.SUCCESS if op.state in (State.CONFIRMED, State.RECONCILED, State.REQUESTED)
             else messages.WARNING)
    messages.add_message(request, level, text)
    return redirect("money-show-operation", reference=op.reference)


# -- one operation and the checker's decision --------------------------------------------------


def _operation_page(request, op: MoneyOperation, *, error: str = "", status: int = 200,
                    reject_form=None) -> HttpResponse:
    trail = list(AuditEntry.objects.filter(entity_type=ENTITY, entity_id=op.reference)
                 .order_by("id"))
    present.decorate(trail)
    may_decide = request.user.has_perm("staff.approve_money")
    context = {
        "op": op, "trail": trail, "error": error,
        "may_decide": may_decide and op.state == State.REQUESTED,
        "blocker": decision_blocker(op, request.user) if may_decide else "",
        "approve_form": DecisionForm(), "reject_form": reject_form or RejectForm(),
        "may_reconcile": (request.user.has_perm("staff.transfer_money")
                          and op.state in (State.UNKNOWN, State.SENT)),
    }
    return render(request, "money/operation_detail.html", context, status=status)


@require_GET
@permission_required("staff.view_trading", raise_exception=True)
def operation_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _operation_page(request, _operation(request, reference))


@require_POST
@permission_required("staff.approve_money", raise_exception=True)
@step_up_required
def operation_approve(request: HttpRequest, reference: str) -> HttpResponse:
    op = _operation(request, reference)
    try:
        op = do_approve(op, actor=request.user)
    except Refused as refused:
        return _operation_page(request, op, error=refused.message, status=403)
    text = DONE.get(op.state, "Operation {ref} is {state}.").format(
        ref=op.reference, message=op.message, state=op.get_state_display().lower())
    messages.success(request, f"Approved. {text}")
    return redirect("money-show-operation", reference=op.reference)


@require_POST
@permission_required("staff.approve_money", raise_exception=True)
def operation_reject(request: HttpRequest, reference: str) -> HttpResponse:
    op = _operation(request, reference)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _operation_page(request, op, error="Say why the request is rejected.",
                               status=400, reject_form=form)
    try:
        do_reject(op, form.cleaned_data["reason"], actor=request.user)
    except Refused as refused:
        return _operation_page(request, op, error=refused.message, status=403)
    messages.success(request, f"Request {op.reference} rejected; nothing was sent.")
    return redirect("money-show-operation", reference=op.reference)


# -- the approval queue ------------------------------------------------------------------------


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required("staff.view_trading", raise_exception=True)
def request_queue(request: HttpRequest) -> HttpResponse:
    expire_requests()
    rows = (history.visible_operations(request.user).filter(state=State.REQUESTED)
            .order_by("created_at", "id"))
    paged = paginate(rows, request.GET)
    may_decide = request.user.has_perm("staff.approve_money")
    for op in paged.page:
        op.blocker = decision_blocker(op, request.user) if may_decide else ""
    context = {"page": paged.page, "notices": paged.notices, "now": timezone.now(),
               "may_decide": may_decide}
    template = "money/request_queue.html"
    return render(request, template + "#request-table" if wants_partial(request) else template,
                  context)


# -- reconciliation ----------------------------------------------------------------------------


def _reconcile_page(request, findings=None, error: str = "") -> HttpResponse:
    visible = history.visible_operations(request.user)
    context = {
        "open": visible.filter(state__in=(State.UNKNOWN, State.SENT)).order_by("created_at"),
        "recent": visible.filter(state=State.RECONCILED).order_by("-resolved_at")[:20],
        "findings": findings, "error": error,
        "may_run": request.user.has_perm("staff.transfer_money"),
    }
    return render(request, "money/reconcile.html", context)


@require_GET
@permission_required("staff.view_trading", raise_exception=True)
def reconcile_list(request: HttpRequest) -> HttpResponse:
    return _reconcile_page(request)


@require_POST
@permission_required("staff.transfer_money", raise_exception=True)
def reconcile_run(request: HttpRequest) -> HttpResponse:
    findings = [f for f in reconcile_pending(actor=request.user)
                if may_see_group(request.user, f.operation.group_id)]
    return _reconcile_page(request, findings)


# -- the movements list and its export ---------------------------------------------------------


def _movements(request: HttpRequest, query):
    """The filter, the rows (an account's OMTrader history, or the portal's operations in
    scope), notices, and the account when one is chosen."""
    form, notices = MovementFilterForm.parse(query)
    data = form.cleaned_data
    account = None
    if data.get("account"):
        account = _account(request, data["account"])
        rows = history.account_movements(account, data.get("date_from"), data.get("date_to"))
        if data.get("type"):
            rows = [row for row in rows if row.type == data["type"]]
        return form, rows, notices, account
    ops = history.visible_operations(request.user).order_by("-created_at", "-id")
    if data.get("type"):
        ops = ops.filter(type=data["type"])
    if data.get("date_from"):
        ops = ops.filter(created_at__date__gte=data["date_from"])
    if data.get("date_to"):
        ops = ops.filter(created_at__date__lte=data["date_to"])
    return form, ops, notices, account


@require_GET
@vary_on_headers(*PARTIAL_HEADERS)
@permission_required("staff.view_trading", raise_exception=True)
def movement_list(request: HttpRequest) -> HttpResponse:
    try:
        form, rows, notices, account = _movements(request, request.GET)
    except OMTraderError as error:
        return render(request, "money/movement_list.html",
                      {"form": MovementFilterForm(), "error": failed_write(error, "list")},
                      status=503)
    paged = paginate(rows, request.GET)
    page = paged.page
    if account is None:
        page.object_list = list(history.operation_movements(page.object_list))
    context = {"form": form, "page": page, "notices": notices + paged.notices,
               "account": account, "query": urlencode(form.state()),
               "may_export": request.user.has_perm("staff.export_money")}
    template = "money/movement_list.html"
    return render(request, template + "#movement-table" if wants_partial(request) else template,
                  context)


@require_GET
@permission_required(["staff.view_trading", "staff.export_money"], raise_exception=True)
def movement_export(request: HttpRequest) -> StreamingHttpResponse:
    form, rows, notices, account = _movements(request, request.GET)
    movements = (rows if account is not None
                 else history.operation_movements(rows.iterator(chunk_size=CHUNK_ROWS)))
    count = len(rows) if account is not None else rows.count()
    record("money.export", request=request, entity_type="money_operation",
           after={"rows": count}, detail=f"CSV export of {count} money movement"
           f"{'s' if count != 1 else ''}: /money/?{request.GET.urlencode()[:1500]}")
    chunks = export.csv_chunks(movements, zone=timezone.get_current_timezone())
    return csv_response(request, chunks, "money")
