from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from crmportal.audit.models import AuditEntry
from crmportal.staff.members import create_staff
from crmportal.staff.models import StaffProfile

ROOT = Path(__file__).resolve().parents[2]


def test_it_creates_staff_from_the_command_line(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-enough-pass\n"))
    out = io.StringIO()
    call_command("createstaff", "zoe", "--role", "supervisor", "--groups", "1,2",
                 "--password-stdin", stdout=out)
    user = authenticate(username="zoe", password="s3cret-enough-pass")
    assert user is not None and user.groups.get().name == "Supervisor"
    assert StaffProfile.objects.get(user=user).group_ids == [1, 2]
    assert "s3cret" not in out.getvalue()


def test_it_refuses_an_unknown_role(db):
    with pytest.raises(CommandError, match="unknown role"):
        call_command("createstaff", "zoe", "--role", "boss")


def test_it_refuses_bad_group_ids(db):
    with pytest.raises(CommandError, match="comma-separated"):
        call_command("createstaff", "zoe", "--role", "supervisor", "--groups", "1,x")


def test_it_refuses_a_password_the_validators_refuse(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("12345\n"))
    with pytest.raises(CommandError) as refused:
        call_command("createstaff", "zoe", "--role", "supervisor", "--password-stdin")
    message = str(refused.value)
    assert "the password was refused" in message
    assert "This password is too short" in message and "entirely numeric" in message
    assert "12345" not in message
    assert not get_user_model().objects.filter(username="zoe").exists()


def test_it_refuses_a_password_like_the_members_name(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("margaret.holloway\n"))
    with pytest.raises(CommandError, match="too similar to the username"):
        call_command("createstaff", "margaret.holloway", "--role", "supervisor",
                     "--password-stdin")


def test_it_records_creating_and_changing_staff_without_the_password(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-enough-pass\n"))
    call_command("createstaff", "zoe", "--role", "supervisor", "--groups", "2,1",
                 "--password-stdin", stdout=io.StringIO())
    created = AuditEntry.objects.get(action="staff.create")
    assert created.actor is None and created.actor_username == "(command line)"
    assert created.before is None
    assert created.after == {"role": "Supervisor", "group_ids": [1, 2], "all_groups": False,
                             "is_active": True}
    monkeypatch.setattr("sys.stdin", io.StringIO("an0ther-long-pass\n"))
    call_command("createstaff", "zoe", "--role", "backoffice", "--all-groups",
                 "--password-stdin", stdout=io.StringIO())
    updated = AuditEntry.objects.get(action="staff.update")
    assert updated.before == created.after
    assert updated.after == {"role": "Back office", "group_ids": [], "all_groups": True,
                             "is_active": True}
    for entry in (created, updated):
        assert "s3cret" not in str(entry.__dict__) and "an0ther" not in str(entry.__dict__)


def test_it_records_who_changed_a_member_from_the_portal(db, administrator):
    create_staff("zoe", "Compliance", "s3cret-enough-pass", group_ids=[3], actor=administrator)
    entry = AuditEntry.objects.get(action="staff.create", entity_id=str(
        get_user_model().objects.get(username="zoe").pk))
    assert entry.actor == administrator and entry.after["role"] == "Compliance"


def test_it_refuses_the_demo_staff_unless_the_demo_was_asked_for(db):
    with pytest.raises(CommandError, match="only with DEMO_STAFF=true"):
        call_command("demostaff", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()


def test_it_creates_one_demo_user_per_role(db, settings):
    settings.DEMO_STAFF = True  # whatever DEBUG says: make run may run with DEBUG off
    out = io.StringIO()
    call_command("demostaff", stdout=out)
    for username in ("backoffice", "compliance", "supervisor", "admin"):
        assert authenticate(username=username, password="demo-pass-2026") is not None
        assert username in out.getvalue()


def _manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
        capture_output=True, text=True, timeout=120,
    )


def test_it_passes_the_deploy_checks_with_production_settings():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY="x" * 20 + "production-like-secret-key-for-check-1234567890",
        ALLOWED_HOSTS="crm.example.com", OMTRADER_USERNAME="crm", OMTRADER_PASSWORD="pw",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_run_without_a_secret_key_when_debug_is_off():
    result = _manage("check", DEBUG="false", OMTRADER_USERNAME="crm", OMTRADER_PASSWORD="pw")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_names_a_bad_setting():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def _dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = {}
    for line in re.findall(r"^ENV\s+(.+)$", text, re.MULTILINE):
        env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def test_it_never_lets_a_deployment_create_the_demo_staff():
    for name in ("Dockerfile", "docker-compose.yml"):
        assert "DEMO_STAFF" not in (ROOT / name).read_text(), name
    image_env = {k: v for k, v in os.environ.items() if k != "DEMO_STAFF"}
    image_env.update(_dockerfile_env())
    assert image_env["PYTHONUNBUFFERED"] == "1"  # the ENV lines were read
    result = subprocess.run(
        [sys.executable, "manage.py", "demostaff"], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**image_env, "DEBUG": "false", "SECRET_KEY": "k" * 50,
                          "OMTRADER_USERNAME": "crm", "OMTRADER_PASSWORD": "pw"},
    )
    assert result.returncode != 0 and "only with DEMO_STAFF=true" in result.stderr


def test_it_asks_for_the_demo_in_make_run_before_anything_runs():
    script = (ROOT / "scripts" / "run.sh").read_text()
    exports = script.index("export DEMO_STAFF=true OTP_REQUIRED_ROLES=none")
    assert exports < script.index("manage.py")
    assert "demostaff" in script[exports:]
