from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from crmportal.audit import tally
from crmportal.audit.log import client_ip, record
from crmportal.audit.models import AuditEntry
from crmportal.staff import lockout, sessions


class StaffLoginView(auth_views.LoginView):
    """Django's sign-in page behind the lockout (crmportal/staff/lockout.py)."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if not lockout.reserve(username, client_ip(request)):
            # Aggregated like failed sign-ins: a locked-out script cannot flood the chain.
            tally.count_sign_in(
                "auth.locked_out", what="sign-ins refused by the lockout", username=username,
                detail=f"Sign-in as {username[:150]!r} refused without checking the password: "
                       "too many failures",
                request=request,
            )
            # An unbound form: the password is not even checked while locked out.
            context = self.get_context_data(
                form=self.form_class(request), locked_message=lockout.locked_message()
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def get_redirect_url(self):
        # ?next= pointing back at this page would make Django raise (a redirect loop): home.
        url = super().get_redirect_url()
        return "" if url and urlsplit(url).path == self.request.path else url

    def form_valid(self, form):
        lockout.succeeded(self.request.POST.get("username", ""), client_ip(self.request))
        response = super().form_valid(form)
        sessions.start(self.request.session)
        return response


@require_http_methods(["GET", "POST"])
def change_password(request):
    """Django's PasswordChangeForm (the password validators apply). The current password is
    checked behind the lockout too, so a borrowed session cannot guess it here."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        address = client_ip(request)
        if not lockout.reserve(user.get_username(), address):
            context = {"form": PasswordChangeForm(user), "locked_message": lockout.locked_message()}
            return render(request, "registration/password_change_form.html", context, status=429)
        valid = form.is_valid()
        if "old_password" in form.errors:
            record("staff.password_change", entity_type="staff", entity_id=user.pk,
                   outcome=AuditEntry.Outcome.DENIED, detail="The current password was wrong",
                   request=request)
        else:
            lockout.succeeded(user.get_username(), address)
        if valid:
            form.save()
            update_session_auth_hash(request, user)  # other sessions end, this one stays
            record("staff.password_change", entity_type="staff", entity_id=user.pk,
                   request=request)
            messages.success(request, "Your password was changed.")
            return redirect("home")
    return render(request, "registration/password_change_form.html", {"form": form})
