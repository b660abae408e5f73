"""A group's commissions: the page with its tiers and the calculator, create / edit with the
tiers formset (rows added and removed through htmx), delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from crmportal.errors import failed_write, write_failed
from crmportal.groups import tiers
from crmportal.groups.access import MANAGE, READ, commission_in, group_for, may_manage
from crmportal.groups.actions import (
    do_create_commission,
    do_delete_commission,
    do_update_commission,
)
from crmportal.groups.forms import (
    TIER_PREFIX,
    CalculatorForm,
    CommissionForm,
    TierFormSet,
    edit_rows,
    tier_initial,
)
from crmportal.groups.views import currencies
from crmportal.htmx import PARTIAL_HEADERS, wants_partial
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import Commission, Group
from crmportal.omtrader.errors import OMTraderError, Rejected
from crmportal.staff.stepup import step_up_required


def symbol_classes(omt) -> dict[int, str]:
    """Class id -> a label naming a few of its symbols (OMTrader gives classes no names in
    the symbol list the portal reads)."""
    members: dict[int, list[str]] = {}
    for symbol in omt.symbols_cached():
        if symbol.symbol_class_id is not None:
            members.setdefault(symbol.symbol_class_id, []).append(symbol.symbol)
    return {cid: f"Class {cid} ({', '.join(codes[:3])}{', …' if len(codes) > 3 else ''})"
            for cid, codes in sorted(members.items())}


def _commission(request: HttpRequest, group_id: int, commission_id: int, *,
                write: bool = False) -> tuple[Group, Commission]:
    group, _ = group_for(request.user, group_id, write=write)
    return group, commission_in(get_omtrader().list_commissions(group.id), commission_id)


@require_GET
@permission_required(READ, raise_exception=True)
@vary_on_headers(*PARTIAL_HEADERS)
def commission_detail(request: HttpRequest, group_id: int, commission_id: int) -> HttpResponse:
    group, commission = _commission(request, group_id, commission_id)
    calculator = CalculatorForm(request.GET if "volume" in request.GET else None)
    result, problem = None, ""
    if calculator.is_bound and calculator.is_valid():
        try:
            result = tiers.fee(commission.tiers, calculator.cleaned_data["volume"],
                               calculator.cleaned_data.get("notional"))
        except ValueError as error:
            problem = str(error)
        if result is None and not problem:
            problem = "No tier covers this volume: no commission is charged."
    context = {
        "group": group, "commission": commission, "calculator": calculator, "result": result,
        "problem": problem, "may_manage": may_manage(request.user, group.id),
        "tier_rows": [(t, tiers.describe(t, group.currency)) for t in commission.tiers],
        "result_line": tiers.describe(result.tier, group.currency) if result else "",
        "entry": tiers.label(tiers.MODE_ENTRY, commission.mode_entry),
        "action": tiers.label(tiers.MODE_ACTION, commission.mode_action),
        "symbol_class": symbol_classes(get_omtrader()).get(commission.symbol_class_id)
        if commission.symbol_class_id else "Every class",
    }
    if wants_partial(request):
        return render(request, "groups/commission_detail.html#calculator-result", context)
    return render(request, "groups/commission_detail.html", context)


def _form_page(request: HttpRequest, group: Group, commission: Commission | None) -> HttpResponse:
    omt = get_omtrader()
    known = currencies(omt)
    try:
        posted = request.POST if request.method == "POST" else None
    except TooManyFieldsSent:  # thousands of tier rows: refused before any form is built
        return _too_many(request, group, commission, known)
    form = CommissionForm(posted or None, commission=commission, classes=symbol_classes(omt))
    options = {"prefix": TIER_PREFIX, "currencies": known,
               "stored_types": frozenset(t.type for t in commission.tiers
                                         if t.type is not None) if commission else frozenset()}
    op = request.POST.get("tiers-op", "")
    if op:  # add or remove a row: re-render the rows, save nothing
        formset = TierFormSet(initial=edit_rows(request.POST, op), **options)
        context = {"form": form, "formset": formset, "group": group, "commission": commission}
        if wants_partial(request):
            return render(request, "groups/commission_form.html#commission-tiers", context)
        return render(request, "groups/commission_form.html", context)
    if request.method == "POST":
        formset = TierFormSet(request.POST, **options)
    else:
        formset = TierFormSet(initial=tier_initial(commission), **options)
    context = {"form": form, "formset": formset, "group": group, "commission": commission}
    if request.method != "POST":
        return render(request, "groups/commission_form.html", context)
    if not (form.is_valid() and formset.is_valid()):
        return render(request, "groups/commission_form.html", context, status=400)
    values = {**form.cleaned_data, "tiers": formset.tiers()}
    try:
        if commission is None:
            saved = do_create_commission(group, values, actor=request.user)
        else:
            saved = do_update_commission(commission, values, actor=request.user)
    except Rejected as error:
        rest = formset.add_upstream_errors(error.field_errors)
        if rest or not error.field_errors:
            form.add_upstream_errors(rest, error.message)
        return render(request, "groups/commission_form.html", context, status=400)
    except OMTraderError as error:
        form.add_error(None, failed_write(error))
        return render(request, "groups/commission_form.html", context, status=502)
    messages.success(request, f"Commission “{saved.name}” saved.")
    return redirect("groups-show-commission", group_id=group.id, commission_id=saved.id)


def _too_many(request: HttpRequest, group: Group, commission: Commission | None,
              known: set[str]) -> HttpResponse:
    form = CommissionForm(None, commission=commission, classes=symbol_classes(get_omtrader()))
    formset = TierFormSet(initial=tier_initial(commission), prefix=TIER_PREFIX, currencies=known)
    context = {"form": form, "formset": formset, "group": group, "commission": commission,
               "refused": f"That was far more than a commission holds (at most {tiers.MAX_TIERS} "
                          "tiers); nothing was sent. The form shows the commission as it was."}
    return render(request, "groups/commission_form.html", context, status=400)


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
@step_up_required
def commission_form(request: HttpRequest, group_id: int,
                    commission_id: int | None = None) -> HttpResponse:
    """A new commission (no id) or one to edit."""
    if commission_id is None:
        group, _ = group_for(request.user, group_id, write=True)
        return _form_page(request, group, None)
    group, commission = _commission(request, group_id, commission_id, write=True)
    return _form_page(request, group, commission)


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
@step_up_required
def commission_delete(request: HttpRequest, group_id: int, commission_id: int) -> HttpResponse:
    group, commission = _commission(request, group_id, commission_id, write=True)
    error = ""
    if request.method == "POST":
        error = write_failed(lambda: do_delete_commission(commission, actor=request.user),
                             "deletion")
        if not error:
            messages.success(request, f"Commission “{commission.name}” was deleted.")
            return redirect("groups-show-group", group_id=group.id)
    context = {"group": group, "commission": commission, "error": error,
               "tier_rows": [(t, tiers.describe(t, group.currency)) for t in commission.tiers]}
    return render(request, "groups/commission_delete.html", context, status=409 if error else 200)
