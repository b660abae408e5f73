from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

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


def test_it_creates_one_demo_user_per_role(db):
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
