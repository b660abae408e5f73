from __future__ import annotations

from django.conf import settings
from django.db import models

from crmportal.staff.roles import PERMISSIONS


class StaffProfile(models.Model):
    """What the portal knows about a staff member beyond Django's user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    # The OMTrader groups this member may see. Scope fails closed: no groups and no
    # all_groups means nothing at all (crmportal/staff/scope.py).
    group_ids = models.JSONField(default=list, blank=True)
    all_groups = models.BooleanField(
        default=False, help_text="Sees every OMTrader group, now and future ones."
    )
    time_zone = models.CharField(max_length=64, blank=True)

    class Meta:
        permissions = list(PERMISSIONS.items())

    def __str__(self) -> str:
        return f"profile of {self.user}"


class RecoveryCode(models.Model):
    """A one-time code for a member who lost their authenticator. Only a salted SHA-256 of
    the code is kept; the code itself is shown once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user}"
