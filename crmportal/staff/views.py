from __future__ import annotations

from django.contrib.auth import views as auth_views

from crmportal.audit.log import client_ip, record
from crmportal.audit.models import AuditEntry
from crmportal.staff import lockout, sessions


class StaffLoginView(auth_views.LoginView):
    """Django's sign-in page behind the lockout (crmportal/staff/lockout.py)."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if not lockout.reserve(username, client_ip(request)):
            record(
                "auth.locked_out",
                actor_username=username[:150],
                entity_type="staff",
                outcome=AuditEntry.Outcome.DENIED,
                detail="Sign-in refused without checking the password: too many failures",
                request=request,
            )
            # An unbound form: the password is not even checked while locked out.
            context = self.get_context_data(
                form=self.form_class(request), locked_message=lockout.locked_message()
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        lockout.succeeded(self.request.POST.get("username", ""), client_ip(self.request))
        response = super().form_valid(form)
        sessions.start(self.request.session)
        return response
