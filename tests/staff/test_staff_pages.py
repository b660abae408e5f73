"""Staff management: who may open it, what the list shows, and changes to a member."""

from __future__ import annotations

import pytest

from crmportal.audit.models import AuditEntry
from crmportal.omtrader.client import get_omtrader
from crmportal.staff.models import StaffProfile
from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE, SUPERVISOR
from crmportal.staff.scope import group_scope


def _groups():
    return sorted(get_omtrader().groups_cached(), key=lambda group: group.id)


def _form(role=BACK_OFFICE, group_ids=(), all_groups=False, is_active=True) -> dict:
    data = {"role": role, "group_ids": [str(g) for g in group_ids]}
    if all_groups:
        data["all_groups"] = "on"
    if is_active:
        data["is_active"] = "on"
    return data


@pytest.mark.parametrize(("who", "status"), [
    ("backoffice", 403), ("compliance", 403), ("supervisor", 403), ("roleless", 403),
    ("administrator", 200),
])
def test_it_opens_the_staff_pages_only_to_members_who_manage_staff(client, request, upstream,
                                                                   backoffice, who, status):
    client.force_login(request.getfixturevalue(who))
    for path in ("/staff/", f"/staff/{backoffice.pk}/",
                 f"/staff/{backoffice.pk}/reset-second-factor/"):
        assert client.get(path).status_code == status, path
    assert client.post(f"/staff/{backoffice.pk}/", _form(ADMINISTRATOR)).status_code in (
        status, 302)
    if status == 403:
        assert not backoffice.groups.filter(name=ADMINISTRATOR).exists()
        assert AuditEntry.objects.filter(action="access.denied").exists()


def test_it_sends_anonymous_visitors_to_sign_in(client, backoffice):
    for path in ("/staff/", f"/staff/{backoffice.pk}/", "/account/two-factor/",
                 "/account/confirm/", "/login/verify/"):
        assert client.get(path)["Location"].startswith("/login/?next="), path


def test_it_shows_the_staff_area_in_the_navigation_to_administrators_only(client, administrator,
                                                                           backoffice):
    client.force_login(administrator)
    assert b'href="/staff/"' in client.get("/").content
    client.force_login(backoffice)
    assert b'href="/staff/"' not in client.get("/").content


def test_it_lists_members_with_role_scope_second_factor_and_state(
        client, upstream, administrator, make_staff, enrolled, roleless):
    group = _groups()[0]
    limited = make_staff("lim", SUPERVISOR, group_ids=[group.id])
    enrolled(limited)
    make_staff("zero", SUPERVISOR, group_ids=[])
    client.force_login(administrator)
    rows = {row["member"].username: row for row in client.get("/staff/").context["rows"]}
    assert rows["ada"]["scope"] == "All groups" and rows["ada"]["role"] == ADMINISTRATOR
    assert rows["lim"]["scope"] == group.name and rows["lim"]["second_factor"]
    assert rows["zero"]["scope"] == "No groups" and not rows["zero"]["second_factor"]
    assert rows["nobody"]["role"] == "No role"


def test_it_changes_role_and_scope_and_records_before_and_after(client, upstream, administrator,
                                                                backoffice):
    groups = _groups()[:2]
    client.force_login(administrator)
    response = client.post(f"/staff/{backoffice.pk}/",
                           _form(SUPERVISOR, group_ids=[g.id for g in groups]))
    assert response.status_code == 302
    backoffice.refresh_from_db()
    assert list(backoffice.groups.values_list("name", flat=True)) == [SUPERVISOR]
    assert group_scope(backoffice).ids == frozenset(g.id for g in groups)
    entry = AuditEntry.objects.get(action="staff.update")
    assert entry.actor == administrator and entry.entity_id == str(backoffice.pk)
    assert entry.before == {"role": BACK_OFFICE, "group_ids": [], "all_groups": True}
    assert entry.after == {"role": SUPERVISOR, "group_ids": sorted(g.id for g in groups),
                           "all_groups": False}


def test_it_deactivates_and_reactivates_a_member(client, upstream, administrator, backoffice):
    client.force_login(administrator)
    client.post(f"/staff/{backoffice.pk}/", _form(all_groups=True, is_active=False))
    backoffice.refresh_from_db()
    assert not backoffice.is_active
    assert AuditEntry.objects.get(action="staff.deactivate").after == {"is_active": False}
    assert not AuditEntry.objects.filter(action="staff.update").exists()
    other = client.__class__()
    assert not other.login(username="bo", password="correct-horse-battery-42")
    client.post(f"/staff/{backoffice.pk}/", _form(all_groups=True, is_active=True))
    backoffice.refresh_from_db()
    assert backoffice.is_active and AuditEntry.objects.filter(action="staff.reactivate").exists()


def test_it_signs_a_deactivated_member_out_of_their_open_session(client, upstream, administrator,
                                                                 backoffice):
    from django.test import Client

    theirs = Client()
    theirs.force_login(backoffice)
    assert theirs.get("/").status_code == 200
    client.force_login(administrator)
    client.post(f"/staff/{backoffice.pk}/", _form(all_groups=True, is_active=False))
    assert theirs.get("/")["Location"].startswith("/login/")


def test_it_refuses_to_deactivate_yourself_or_drop_your_own_staff_rights(client, upstream,
                                                                         administrator):
    client.force_login(administrator)
    page = client.post(f"/staff/{administrator.pk}/",
                       _form(ADMINISTRATOR, all_groups=True, is_active=False))
    assert page.status_code == 400 and b"You cannot deactivate yourself" in page.content
    page = client.post(f"/staff/{administrator.pk}/", _form(BACK_OFFICE, all_groups=True))
    assert page.status_code == 400 and b"your own right to manage staff" in page.content
    administrator.refresh_from_db()
    assert administrator.is_active and administrator.has_perm("staff.manage_staff")
    assert AuditEntry.objects.filter(action__startswith="staff.", outcome="denied").count() == 2


def test_it_says_nothing_changed_when_nothing_did(client, upstream, administrator, backoffice):
    client.force_login(administrator)
    fixtures = AuditEntry.objects.count()  # the fixtures' staff.create entries
    response = client.post(f"/staff/{backoffice.pk}/", _form(all_groups=True), follow=True)
    assert b"Nothing changed." in response.content
    assert AuditEntry.objects.count() == fixtures


def test_it_answers_bad_input_with_a_message(client, upstream, administrator, backoffice):
    client.force_login(administrator)
    for data in ({"role": "Overlord"}, {"role": BACK_OFFICE, "group_ids": ["x"]},
                 {"role": BACK_OFFICE, "group_ids": ["987654"]}, {}):
        page = client.post(f"/staff/{backoffice.pk}/", data)
        assert page.status_code == 400 and b"Nothing was saved" in page.content, data
    assert client.get("/staff/999999/").status_code == 404
    assert StaffProfile.objects.get(user=backoffice).all_groups


def test_it_asks_to_choose_a_role_for_a_member_without_one(client, upstream, administrator,
                                                            roleless):
    client.force_login(administrator)
    page = client.get(f"/staff/{roleless.pk}/")
    assert page.context["form"]["role"].value() == ""
    assert b'<option value="" selected>Choose a role</option>' in page.content
    assert client.post(f"/staff/{roleless.pk}/", _form(role="")).status_code == 400
    assert not roleless.groups.exists()


def test_it_audits_a_change_with_the_request_id_and_address_it_came_with(
        client, upstream, administrator, backoffice):
    client.force_login(administrator)
    client.post(f"/staff/{backoffice.pk}/", _form(SUPERVISOR, all_groups=True),
                REMOTE_ADDR="198.51.100.9", HTTP_X_REQUEST_ID="staff-req-0001")
    entry = AuditEntry.objects.get(action="staff.update")
    assert (entry.request_id, entry.ip_address) == ("staff-req-0001", "198.51.100.9")
