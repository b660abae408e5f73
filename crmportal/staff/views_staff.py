"""Staff management: the list of members and one page per member (role, scope, active,
second factor). Administrators only (staff.manage_staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.errors import OMTraderError
from crmportal.staff import actions, twofactor
from crmportal.staff.forms import StaffForm
from crmportal.staff.members import role_of
from crmportal.staff.models import StaffProfile
from crmportal.staff.roles import ROLES
from crmportal.staff.stepup import step_up_required


def _group_names() -> dict[int, str] | None:
    """OMTrader's groups by id, or None when OMTrader does not answer (ids are shown)."""
    try:
        return {group.id: group.name for group in get_omtrader().groups_cached()}
    except OMTraderError:
        return None


def _scope_text(profile: StaffProfile | None, names: dict[int, str] | None) -> str:
    if profile is not None and profile.all_groups:
        return "All groups"
    ids = sorted(profile.group_ids or []) if profile is not None else []
    if not ids:
        return "No groups"
    return ", ".join((names or {}).get(gid, f"#{gid}") for gid in ids)


@require_GET
@permission_required("staff.manage_staff", raise_exception=True)
def staff_list(request: HttpRequest) -> HttpResponse:
    names = _group_names()
    members = get_user_model().objects.order_by("username").prefetch_related("groups")
    profiles = {p.user_id: p for p in StaffProfile.objects.all()}
    with_device = set(
        TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True)
    )
    rows = [
        {
            "member": member,
            "role": role_of(member),
            "scope": _scope_text(profiles.get(member.pk), names),
            "second_factor": member.pk in with_device,
        }
        for member in members
    ]
    context = {"rows": rows, "groups_unavailable": names is None}
    return render(request, "staff/staff_list.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("staff.manage_staff", raise_exception=True)
@step_up_required
def staff_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(get_user_model(), pk=member_id)
    # Not answering: the "OMTrader is not answering" page (scope cannot be edited blind).
    names = {group.id: group.name for group in get_omtrader().groups_cached()}
    current = actions.snapshot(member)
    groups = sorted(names.items(), key=lambda item: item[1].lower())
    known = {gid for gid, _ in groups}
    groups += [(gid, f"#{gid} (no longer in OMTrader)") for gid in current["group_ids"]
               if gid not in known]
    initial = {**current, "role": current["role"] if current["role"] in ROLES else ""}
    form = StaffForm(request.POST if request.method == "POST" else None, groups=groups,
                     initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.do_update_staff(member, actor=request.user, **form.cleaned_data)
        except actions.StaffChangeRefused as refused:
            error = refused.message
        else:
            messages.success(request, f"Saved {member.username}." if changed
                             else "Nothing changed.")
            return redirect("staff-edit-member", member_id=member.pk)
    context = {
        "member": member,
        "form": form,
        "error": error,
        "second_factor": twofactor.has_device(member),
        "codes_left": twofactor.recovery_codes_left(member),
        "required": twofactor.must_use(member),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "staff/staff_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required("staff.manage_staff", raise_exception=True)
@step_up_required
def staff_reset_second_factor(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(get_user_model(), pk=member_id)
    if request.method == "POST":
        try:
            had = actions.do_reset_second_factor(member, actor=request.user)
        except actions.StaffChangeRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                f"{member.username}'s second factor was reset: they set up a new "
                "authenticator at their next sign-in." if had
                else f"{member.username} had no second factor; nothing was left to reset.",
            )
        return redirect("staff-edit-member", member_id=member.pk)
    context = {"member": member, "second_factor": twofactor.has_device(member),
               "required": twofactor.must_use(member)}
    return render(request, "staff/staff_reset.html", context)
