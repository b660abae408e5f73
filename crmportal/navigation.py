"""The areas in the top navigation. An entry whose URL is not installed is not shown."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from crmportal.staff.members import role_of

# (label, url name, permission needed or None)
AREAS = [
    ("Dashboard", "home", None),
    ("Clients", "clients-list-clients", "staff.view_clients"),
    ("Accounts", "accounts-list-accounts", "staff.view_clients"),
    ("Money", "money-list-movements", "staff.view_trading"),
    ("KYC queue", "kyc-list-queue", "staff.review_kyc"),
    ("Trading", "trading-show-home", "staff.view_trading"),
    ("Live board", "live-show-board", "staff.view_live_board"),
    ("Groups", "groups-list-groups", "staff.view_trading"),
    ("Symbols", "symbols-list-symbols", "staff.view_trading"),
    ("Audit log", "audit-list-entries", "staff.view_audit"),
    ("Staff", "staff-list-members", "staff.manage_staff"),
]


def areas_for(user, path: str = "") -> list[dict]:
    """The member's areas; `current` marks the one `path` is in (the entry whose URL is the
    longest start of it; the dashboard only on its own page)."""
    entries = []
    for label, url_name, permission in AREAS:
        if permission and not user.has_perm(permission):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": label, "url": url, "name": url_name, "current": False})
    inside = [e for e in entries if path.startswith(e["url"]) and (e["url"] != "/" or path == "/")]
    if inside:
        max(inside, key=lambda e: len(e["url"]))["current"] = True
    return entries


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "second_factor_pending", False):  # set by SecondFactorMiddleware
        return {"nav_areas": [], "staff_role": role_of(user), "second_factor_pending": True}
    return {"nav_areas": areas_for(user, request.path), "staff_role": role_of(user)}
