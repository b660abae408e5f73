"""Creating a staff member from the command line is audited (without the password)."""

from __future__ import annotations

import io

from django.core.management import call_command

from crmportal.audit.models import AuditEntry


def test_it_records_a_new_member_and_a_changed_one_without_the_password(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-enough-pass\n"))
    call_command("createstaff", "zoe", "--role", "supervisor", "--groups", "2,1",
                 "--password-stdin", stdout=io.StringIO())
    created = AuditEntry.objects.get(action="staff.create")
    assert created.actor_username == "(command line)"
    assert created.after["role"] == "Supervisor" and created.after["group_ids"] == [1, 2]
    monkeypatch.setattr("sys.stdin", io.StringIO("an0ther-enough-pass\n"))
    call_command("createstaff", "zoe", "--role", "administrator", "--all-groups",
                 "--password-stdin", stdout=io.StringIO())
    updated = AuditEntry.objects.get(action="staff.update")
    assert updated.after["role"] == "Administrator" and updated.after["all_groups"] is True
    everything = " ".join(str(entry.__dict__) for entry in AuditEntry.objects.all())
    assert "s3cret" not in everything and "an0ther" not in everything
