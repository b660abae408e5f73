"""Group scope fails closed: "every group" is an explicit flag, nothing is implied."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from crmportal.staff.members import create_staff
from crmportal.staff.models import StaffProfile
from crmportal.staff.roles import BACK_OFFICE
from crmportal.staff.scope import NOTHING, group_scope, may_see_group
from tests.support.staff import PASSWORD


def test_it_gives_a_member_with_no_groups_nothing(db):
    member = create_staff("none", BACK_OFFICE, PASSWORD)
    assert group_scope(member) == NOTHING and group_scope(member).nothing
    assert not may_see_group(member, 6) and not may_see_group(member, None)


def test_it_gives_a_member_without_a_profile_nothing(db, django_user_model):
    assert group_scope(django_user_model.objects.create_user("bare")).nothing


def test_it_gives_every_group_only_when_asked_for(db):
    member = create_staff("all", BACK_OFFICE, PASSWORD, all_groups=True)
    assert group_scope(member).all and may_see_group(member, 123456)


def test_it_limits_a_member_to_their_groups(db):
    member = create_staff("some", BACK_OFFICE, PASSWORD, group_ids=[6, 7])
    assert group_scope(member).ids == {6, 7} and not group_scope(member).all
    assert may_see_group(member, 7) and not may_see_group(member, 8)


def test_it_gives_an_inactive_member_nothing(db):
    member = create_staff("gone", BACK_OFFICE, PASSWORD, all_groups=True)
    member.is_active = False
    assert group_scope(member).nothing


def test_it_sets_all_groups_from_the_command_line(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-enough-pass\n"))
    call_command("createstaff", "zoe", "--role", "supervisor", "--all-groups",
                 "--password-stdin", stdout=io.StringIO())
    assert StaffProfile.objects.get(user__username="zoe").all_groups


def test_it_warns_when_the_command_gives_no_groups(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-enough-pass\n"))
    out = io.StringIO()
    call_command("createstaff", "zoe", "--role", "supervisor", "--password-stdin", stdout=out)
    assert "no OMTrader group yet" in out.getvalue()
    assert not StaffProfile.objects.get(user__username="zoe").all_groups


def test_it_refuses_both_groups_and_all_groups(db):
    with pytest.raises(CommandError, match="either"):
        call_command("createstaff", "zoe", "--role", "supervisor", "--groups", "1",
                     "--all-groups")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_keeps_existing_unlimited_members_unlimited_when_migrating(migrator_state):
    limited, unlimited = migrator_state
    assert not StaffProfile.objects.get(pk=limited).all_groups
    assert StaffProfile.objects.get(pk=unlimited).all_groups


@pytest.fixture
def migrator_state():
    """Two members as they were before scope failed closed: one limited, one with no list."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("staff", "0002_roles")])
    apps = executor.loader.project_state([("staff", "0002_roles")]).apps
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("staff", "StaffProfile")
    limited = Profile.objects.create(user=User.objects.create(username="old-limited"),
                                     group_ids=[6])
    unlimited = Profile.objects.create(user=User.objects.create(username="old-all"),
                                       group_ids=[])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return limited.pk, unlimited.pk


def test_it_tells_a_member_with_no_groups_on_the_dashboard(client, db):
    client.force_login(create_staff("none", BACK_OFFICE, PASSWORD))
    assert 'id="no-groups"' in client.get("/").content.decode()
    client.force_login(create_staff("all", BACK_OFFICE, PASSWORD, all_groups=True))
    assert 'id="no-groups"' not in client.get("/").content.decode()
