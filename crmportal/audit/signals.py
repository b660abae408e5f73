"""Sign-ins, sign-outs and failed sign-ins go to the audit log."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record("auth.login", actor=user, entity_type="staff", entity_id=user.pk, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("auth.logout", actor=user, entity_type="staff", entity_id=user.pk, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record(
        "auth.login_failed",
        actor_username=username,
        entity_type="staff",
        outcome=AuditEntry.Outcome.DENIED,
        detail=f"Failed sign-in as {username!r}",
        request=request,
    )
