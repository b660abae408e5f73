"""Changes to staff members. Each records its audit entry (refusals too), so no view can skip
it, and each refuses what would lock the acting member out of managing staff. Like every
action they take the acting member (`actor=`), not the request (see clients/actions.py)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.staff import scope, twofactor
from crmportal.staff.members import role_of
from crmportal.staff.models import StaffProfile
from crmportal.staff.roles import ROLES

MANAGE_STAFF = "staff.manage_staff"


class StaffChangeRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def snapshot(member) -> dict:
    profile = StaffProfile.objects.filter(user=member).first()
    return {
        "role": role_of(member),
        "group_ids": sorted(profile.group_ids or []) if profile else [],
        "all_groups": bool(profile and profile.all_groups),
        "is_active": member.is_active,
    }


def _refuse(action: str, member, actor, message: str, after=None):
    record(action, actor=actor, entity_type="staff", entity_id=member.pk, after=after,
           outcome=AuditEntry.Outcome.DENIED, detail=message)
    raise StaffChangeRefused(message)


def _forget(member) -> None:
    """Drop what this user object remembers about its permissions and scope."""
    for name in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        if hasattr(member, name):
            delattr(member, name)
    scope.forget(member)


def do_update_staff(member, *, role: str, group_ids: list[int], all_groups: bool,
                    is_active: bool, actor) -> bool:
    """Set the member's role, group scope and whether they may sign in. True when something
    changed (each change is audited with before and after)."""
    wanted = {"role": role, "group_ids": sorted(int(g) for g in group_ids),
              "all_groups": bool(all_groups), "is_active": bool(is_active)}
    if not actor.has_perm(MANAGE_STAFF):
        _refuse("staff.update", member, actor, "Only members who manage staff may change staff.",
                wanted)
    if role not in ROLES:
        _refuse("staff.update", member, actor, f"There is no role {role!r}.", wanted)
    if member.pk == actor.pk and not is_active:
        _refuse("staff.deactivate", member, actor, "You cannot deactivate yourself.")
    if member.pk == actor.pk and "manage_staff" not in ROLES[role]:
        _refuse("staff.update", member, actor,
                "You cannot take away your own right to manage staff: ask another "
                "administrator.", wanted)
    if all_groups:
        wanted["group_ids"] = []  # "all groups" is the whole scope; a list beside it means nothing

    with transaction.atomic():  # refusals above are recorded outside it, so they stay
        changed = _apply(member, wanted, actor)
    _forget(member)
    return changed


def _apply(member, wanted: dict, actor) -> bool:
    before = snapshot(member)
    changed = [name for name in ("role", "group_ids", "all_groups") if before[name] != wanted[name]]
    if changed:
        member.groups.set([Group.objects.get(name=wanted["role"])])
        StaffProfile.objects.update_or_create(
            user=member,
            defaults={"group_ids": wanted["group_ids"], "all_groups": wanted["all_groups"]},
        )
        record("staff.update", actor=actor, entity_type="staff", entity_id=member.pk,
               before={name: before[name] for name in changed},
               after={name: wanted[name] for name in changed})
    if before["is_active"] != wanted["is_active"]:
        member.is_active = wanted["is_active"]
        member.save(update_fields=["is_active"])
        record("staff.reactivate" if member.is_active else "staff.deactivate", actor=actor,
               entity_type="staff", entity_id=member.pk,
               before={"is_active": before["is_active"]}, after={"is_active": member.is_active})
    return bool(changed) or before["is_active"] != wanted["is_active"]


def do_reset_second_factor(member, *, actor) -> bool:
    """Remove the member's authenticator and recovery codes: they enrol again at their next
    sign-in (when their role requires it). True when they had a second factor."""
    if not actor.has_perm(MANAGE_STAFF):
        _refuse("staff.second_factor_reset", member, actor,
                "Only members who manage staff may reset a second factor.")
    with transaction.atomic():
        had = twofactor.remove_second_factor(member) > 0
        record("staff.second_factor_reset", actor=actor, entity_type="staff",
               entity_id=member.pk, before={"second_factor": "on" if had else "off"},
               after={"second_factor": "off"})
    return had
