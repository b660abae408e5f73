"""Between the password and everything else: a member who must pass the second factor sees
only the code page (or, without a device yet, the enrolment page), sign-out, static files
and /healthz."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from crmportal.staff import stepup
from crmportal.staff.twofactor import has_device, needs_second_factor


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not self._always_allowed(request.path_info):
            if needs_second_factor(user, request.session):
                target = self._target(request, has_device(user))
                if target is not None:
                    return stepup.redirect(request, target)
                request.second_factor_pending = True  # the page offers no way elsewhere
        return self.get_response(request)

    @staticmethod
    def _always_allowed(path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path.startswith(static) or path in _open_paths()

    @staticmethod
    def _target(request, device: bool) -> str | None:
        """Where the member goes instead; None when they are already there."""
        page = reverse("account-verify-second-factor" if device else "account-enrol-second-factor")
        if request.path_info == page:
            return None
        home = reverse("home")
        wanted = request.get_full_path() if request.method == "GET" else home
        if wanted in (home, reverse("login")):
            return page
        return f"{page}?{urlencode({'next': wanted})}"


@cache
def _open_paths() -> tuple[str, str]:
    """Reversed once: this runs on every request of every signed-in member."""
    return reverse("healthz"), reverse("logout")
