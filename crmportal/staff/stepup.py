"""Step-up: actions that affect money, groups or staff ask the member to confirm who they are
again when their last confirmation (sign-in, second factor or a step-up) is older than
STEP_UP_SECONDS. A stale GET is sent to the confirmation page and comes back; a stale POST
is refused and never performed."""

from __future__ import annotations

import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry

CONFIRMED_AT = "staff_confirmed_at"  # session key: epoch seconds of the last confirmation
FAILURES = "staff_confirm_failures"  # session key: wrong passwords/codes since the last success
MAX_FAILURES = 5  # this many wrong answers in a row sign the member out


def mark_confirmed(session, now: float | None = None) -> None:
    session[CONFIRMED_AT] = int(time.time() if now is None else now)
    session.pop(FAILURES, None)


def is_fresh(session, now: float | None = None) -> bool:
    confirmed = session.get(CONFIRMED_AT)
    if not isinstance(confirmed, (int, float)):
        return False
    now = time.time() if now is None else now
    return now - confirmed <= settings.STEP_UP_SECONDS


def count_failure(session) -> bool:
    """Count one wrong password or code; True when the member must now be signed out."""
    failures = int(session.get(FAILURES, 0) or 0) + 1
    session[FAILURES] = failures
    return failures >= MAX_FAILURES


@receiver(user_logged_in)
def _confirmed_by_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        mark_confirmed(request.session)


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """The ?next= (or posted next) address when it stays on this host, else the default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def confirm_url(next_path: str) -> str:
    return f"{reverse('account-confirm-identity')}?{urlencode({'next': next_path})}"


def redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load."""
    if request.headers.get("HX-Request") == "true":
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def step_up_required(view):
    """Run the view only when the member confirmed who they are within STEP_UP_SECONDS."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if is_fresh(request.session):
            return view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            return redirect(request, confirm_url(request.get_full_path()))
        record(
            "auth.step_up",
            entity_type="staff",
            entity_id=request.user.pk,
            outcome=AuditEntry.Outcome.DENIED,
            detail=f"{request.method} {request.path[:200]} refused: no recent confirmation",
            request=request,
        )
        context = {"confirm_url": confirm_url(request.get_full_path())}
        return render(request, "staff/stepup_refused.html", context, status=403)

    return wrapped
