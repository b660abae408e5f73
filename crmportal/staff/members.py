"""Creating staff members with a role and a group scope (used by commands and tests)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from crmportal.audit.log import record
from crmportal.staff.models import StaffProfile

COMMAND_LINE = "(command line)"  # the audit log's actor for changes made with manage.py


@transaction.atomic
def create_staff(
    username: str,
    role: str,
    password: str,
    group_ids: list[int] | None = None,
    all_groups: bool = False,
    email: str = "",
    time_zone: str = "",
    *,
    actor=None,
    request=None,
):
    """Create or update a staff member so they hold exactly this role and scope, and record
    it (staff.create / staff.update, never the password). No actor and no request: the
    change came from the command line."""
    user, created = get_user_model().objects.get_or_create(username=username)
    before = None if created else staff_state(user)
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
    record(
        "staff.create" if created else "staff.update",
        actor=actor,
        actor_username=COMMAND_LINE if actor is None and request is None else "",
        entity_type="staff",
        entity_id=user.pk,
        before=before,
        after=staff_state(user),
        detail=f"{user.get_username()}: role, scope and password set",
        request=request,
    )
    return user


def staff_state(user) -> dict:
    """What the audit log keeps of a member: role, scope, active (never the password)."""
    profile = StaffProfile.objects.filter(user=user).first()
    return {
        "role": role_of(user),
        "group_ids": list(profile.group_ids) if profile else [],
        "all_groups": profile.all_groups if profile else False,
        "is_active": user.is_active,
    }


def role_of(user) -> str:
    names = [group.name for group in user.groups.all()]
    return ", ".join(sorted(names)) or "No role"
