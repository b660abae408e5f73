from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.cache import cache

MAX_FAILED_SIGN_INS = 5
LOCKOUT_SECONDS = 15 * 60


def _failures_key(request, username: str) -> str:
    return f"login-failures:{request.META.get('REMOTE_ADDR', '')}:{username.lower()[:150]}"


class StaffLoginView(auth_views.LoginView):
    """Django's sign-in page, with a pause after repeated failures for one name and address."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        key = _failures_key(request, request.POST.get("username", ""))
        if cache.get(key, 0) >= MAX_FAILED_SIGN_INS:
            # An unbound form: the password is not even checked while locked out.
            context = self.get_context_data(
                form=self.form_class(request),
                locked_message="Too many failed sign-ins. Wait 15 minutes, then try again.",
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = _failures_key(self.request, self.request.POST.get("username", ""))
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, LOCKOUT_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(_failures_key(self.request, self.request.POST.get("username", "")))
        return super().form_valid(form)
