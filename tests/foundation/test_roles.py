from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from crmportal.audit.models import AuditEntry
from crmportal.staff.roles import ROLES
from crmportal.staff.scope import group_scope, may_see_group


def test_it_creates_the_four_roles_by_migration(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    compliance = Group.objects.get(name="Compliance")
    codenames = set(compliance.permissions.values_list("codename", flat=True))
    assert codenames == set(ROLES["Compliance"])


@pytest.mark.parametrize(
    "user_fixture,status",
    [("compliance", 200), ("administrator", 200), ("backoffice", 403), ("supervisor", 403),
     ("roleless", 403)],
)
def test_it_lets_only_compliance_and_administrators_read_the_audit_log(
    db, client, request, user_fixture, status
):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get("/audit/").status_code == status


def test_it_records_a_refused_page(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/audit/?action=x")
    assert response.status_code == 403
    assert b"You do not have access to this" in response.content
    entry = AuditEntry.objects.get(action="access.denied")
    assert entry.actor == supervisor and "/audit/" in entry.detail


def test_it_shows_each_role_only_the_areas_it_may_use(client, backoffice, compliance):
    client.force_login(backoffice)
    assert b'href="/audit/"' not in client.get("/").content
    client.force_login(compliance)
    assert b'href="/audit/"' in client.get("/").content


def test_it_answers_group_scope_questions(make_staff, administrator):
    limited = make_staff("lim", "Supervisor", group_ids=[2, 3])
    assert group_scope(administrator).all
    assert may_see_group(administrator, 99)
    assert group_scope(limited).ids == frozenset({2, 3})
    assert may_see_group(limited, 2) and not may_see_group(limited, 4)
    assert not may_see_group(limited, None)
