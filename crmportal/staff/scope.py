"""Group scope: which OMTrader groups a staff member may see. Used by views, actions and live."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied

from crmportal.staff.models import StaffProfile


def allowed_group_ids(user) -> frozenset[int] | None:
    """The groups the user is limited to, or None when they may see every group."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_allowed_group_ids", False)
    if cached is not False:
        return cached
    profile = StaffProfile.objects.filter(user=user).first()
    ids = frozenset(int(g) for g in profile.group_ids) if profile and profile.group_ids else None
    user._allowed_group_ids = ids
    return ids


def may_see_group(user, group_id: int | None) -> bool:
    allowed = allowed_group_ids(user)
    if allowed is None:
        return user.is_authenticated
    return group_id is not None and int(group_id) in allowed


def may_see_any_group(user, group_ids: Iterable[int | None]) -> bool:
    return any(may_see_group(user, group_id) for group_id in group_ids)


def require_group(user, group_id: int | None) -> None:
    if not may_see_group(user, group_id):
        raise PermissionDenied("This record belongs to a group outside your scope.")
