"""Creating staff members with a role and a group scope (used by commands and tests)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from crmportal.staff.models import StaffProfile


@transaction.atomic
def create_staff(
    username: str,
    role: str,
    password: str,
    group_ids: list[int] | None = None,
    all_groups: bool = False,
    email: str = "",
    time_zone: str = "",
):
    """Create or update a staff member so they hold exactly this role and scope."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.email = email or user.email
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    StaffProfile.objects.update_or_create(
        user=user,
        defaults={"group_ids": sorted(group_ids or []), "all_groups": all_groups,
                  "time_zone": time_zone},
    )
    return user


def role_of(user) -> str:
    names = [group.name for group in user.groups.all()]
    return ", ".join(sorted(names)) or "No role"
