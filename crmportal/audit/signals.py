"""Sign-ins, sign-outs and failed sign-ins go to the audit log."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from crmportal.audit import tally
from crmportal.audit.log import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record("auth.login", actor=user, entity_type="staff", entity_id=user.pk, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record("auth.logout", actor=user, entity_type="staff", entity_id=user.pk, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # A flood from one address is aggregated: the first of a minute names the user, the
    # rest of that minute become one entry with their count (crmportal/audit/tally.py).
    username = str(credentials.get("username", ""))[:150]
    tally.count_sign_in("auth.login_failed", what="failed sign-ins", username=username,
                        detail=f"Failed sign-in as {username!r}", request=request)
