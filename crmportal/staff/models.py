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
