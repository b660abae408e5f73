"""The member's own second factor: the code after the password, enrolment, recovery codes,
and the step-up confirmation page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.staff import stepup, twofactor

ANSWERS = {"totp": "authenticator code", "recovery": "recovery code", "password": "password"}


def _sign_out_after_failures(request: HttpRequest, action: str) -> HttpResponse:
    record(action, entity_type="staff", entity_id=request.user.pk,
           outcome=AuditEntry.Outcome.DENIED,
           detail=f"{stepup.MAX_FAILURES} wrong answers in a row: signed out", request=request)
    logout(request)
    messages.error(request, "Too many wrong answers: you have been signed out. Sign in again.")
    return redirect("login")


def _passed(request: HttpRequest, device, kind: str, action: str) -> None:
    """Record a passed second factor in the session and the audit log."""
    if action == "auth.second_factor":
        request.session.cycle_key()  # the session gains rights: give it a new id
        otp_login(request, device)
    stepup.mark_confirmed(request.session)
    record(action, entity_type="staff", entity_id=request.user.pk,
           detail=ANSWERS[kind],
           request=request)
    if kind == "recovery":
        left = twofactor.recovery_codes_left(request.user)
        record("staff.recovery_code_used", entity_type="staff", entity_id=request.user.pk,
               after={"recovery_codes_left": left}, request=request)
        messages.warning(request, f"You used a recovery code; {left} left. Make new ones on "
                                  "your two-factor page when you run low.")


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code asked after the password."""
    next_url = stepup.safe_next(request)
    if not twofactor.needs_second_factor(request.user, request.session):
        return redirect(next_url)
    error = ""
    if request.method == "POST":
        device, kind = twofactor.check_code(request.user, request.POST.get("code", ""))
        if device is not None:
            _passed(request, device, kind, "auth.second_factor")
            return redirect(next_url)
        record("auth.second_factor", entity_type="staff", entity_id=request.user.pk,
               outcome=AuditEntry.Outcome.DENIED, detail="wrong code", request=request)
        if stepup.count_failure(request.session):
            return _sign_out_after_failures(request, "auth.second_factor")
        error = "That code is not right (or was already used). Try the newest code."
    context = {"next": next_url, "error": error}
    return render(request, "staff/twofactor_verify.html", context, status=400 if error else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app, or see that it is set up."""
    user = request.user
    if twofactor.has_device(user):
        context = {"codes_left": twofactor.recovery_codes_left(user),
                   "required": twofactor.must_use(user)}
        return render(request, "staff/twofactor_status.html", context)
    device = twofactor.pending_device(user)
    error = ""
    if request.method == "POST":
        codes = twofactor.confirm_enrolment(device, request.POST.get("code", ""))
        if codes is not None:
            request.session.cycle_key()
            otp_login(request, device)
            stepup.mark_confirmed(request.session)
            record("staff.second_factor_enrol", entity_type="staff", entity_id=user.pk,
                   after={"recovery_codes": len(codes)}, request=request)
            context = {"codes": codes, "next": stepup.safe_next(request)}
            return render(request, "staff/twofactor_codes.html", context)
        record("staff.second_factor_enrol", entity_type="staff", entity_id=user.pk,
               outcome=AuditEntry.Outcome.DENIED, detail="wrong code", request=request)
        error = "That code is not right. Check the time on your phone and use the newest code."
    context = {
        "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_text(device),
        "required": twofactor.must_use(user),
        "next": stepup.safe_next(request, ""),
        "error": error,
    }
    return render(request, "staff/twofactor_enrol.html", context, status=400 if error else 200)


@never_cache
@require_POST
@stepup.step_up_required
def regenerate_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes; the old ones stop working."""
    if not twofactor.has_device(request.user):
        return redirect("account-enrol-second-factor")
    codes = twofactor.new_recovery_codes(request.user)
    record("staff.recovery_codes_regenerate", entity_type="staff", entity_id=request.user.pk,
           after={"recovery_codes": len(codes)}, request=request)
    return render(request, "staff/twofactor_codes.html", {"codes": codes, "next": ""})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Step-up: the password again, or a code for members with a second factor."""
    next_url = stepup.safe_next(request)
    with_code = twofactor.has_device(request.user)
    error = ""
    if request.method == "POST":
        if with_code:
            device, kind = twofactor.check_code(request.user, request.POST.get("code", ""))
            ok = device is not None
        else:
            device, kind = None, "password"
            ok = request.user.check_password(request.POST.get("password", ""))
        if ok:
            _passed(request, device, kind, "auth.step_up")
            return redirect(next_url)
        record("auth.step_up", entity_type="staff", entity_id=request.user.pk,
               outcome=AuditEntry.Outcome.DENIED,
               detail="wrong code" if with_code else "wrong password", request=request)
        if stepup.count_failure(request.session):
            return _sign_out_after_failures(request, "auth.step_up")
        error = "That code is not right." if with_code else "That password is not right."
    context = {"next": next_url, "with_code": with_code, "error": error}
    return render(request, "staff/stepup_confirm.html", context, status=400 if error else 200)
