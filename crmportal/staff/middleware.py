from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from crmportal.audit.log import record
from crmportal.staff import scope, sessions
from crmportal.staff.models import StaffProfile


class StaffTimezoneMiddleware:
    """Show dates in the signed-in staff member's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = self._zone_for(request.user) if request.user.is_authenticated else None
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)

    @staticmethod
    def _zone_for(user):
        profile = StaffProfile.objects.filter(user=user).first()
        scope.remember(user, profile)  # the views' scope checks need the same row
        name = profile.time_zone if profile else ""
        try:
            return zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None


class IdleTimeoutMiddleware:
    """Sign out a member idle for longer than SESSION_IDLE_TIMEOUT; otherwise move their clock.
    After the messages and htmx middleware: it leaves a message and answers htmx its own way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            if sessions.idle_expired(request.session):
                return _sign_out_idle(request)
            sessions.touch(request.session)
        return self.get_response(request)


def _sign_out_idle(request):
    minutes = max(1, round(settings.SESSION_IDLE_TIMEOUT / 60))
    record("auth.idle_timeout", entity_type="staff", entity_id=request.user.pk,
           detail=f"Signed out after {minutes} minutes without a request", request=request)
    logout(request)
    messages.info(request, f"You were signed out after {minutes} minutes without activity. "
                           "Sign in again to continue where you were.")
    if request.htmx:
        # The page the member is looking at, not the partial the page asked for.
        wanted = request.htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(redirect_to_login(wanted)["Location"])
    return redirect_to_login(request.get_full_path())
