"""The areas in the top navigation. An entry whose URL is not installed is not shown."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from crmportal.staff.accounts import role_of

# (label, url name, permission needed or None)
AREAS = [
    ("Dashboard", "home", None),
    ("Clients", "clients-list-clients", "staff.view_clients"),
    ("KYC queue", "kyc-list-queue", "staff.review_kyc"),
    ("Live board", "live-show-board", "staff.view_live_board"),
    ("Audit log", "audit-list-entries", "staff.view_audit"),
    ("Staff", "staff-list-members", "staff.manage_staff"),
]


def areas_for(user) -> list[dict]:
    entries = []
    for label, url_name, permission in AREAS:
        if permission and not user.has_perm(permission):
            continue
        try:
            entries.append({"label": label, "url": reverse(url_name), "name": url_name})
        except NoReverseMatch:
            continue
    return entries


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_areas": areas_for(user), "staff_role": role_of(user)}
