"""No Docker engine runs here: check the Dockerfile and compose file against the code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests
import yaml
from django.core.management import get_commands

from tests.support.portal import free_port

ROOT = Path(__file__).resolve().parents[2]


def _dockerfile_instruction(name: str) -> str:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(rf"^{name}\s+(.+)$", text, re.MULTILINE)
    assert match, f"Dockerfile has no {name}"
    return match.group(1).strip()


def test_it_builds_from_a_slim_base_as_a_non_root_user():
    assert _dockerfile_instruction("FROM").startswith("python:3.11-slim")
    assert _dockerfile_instruction("USER") != "root"
    assert "/healthz" in _dockerfile_instruction("HEALTHCHECK")
    assert "collectstatic" in (ROOT / "Dockerfile").read_text()


def test_it_serves_healthz_with_the_entry_point_command(tmp_path):
    entrypoint = json.loads(_dockerfile_instruction("ENTRYPOINT"))
    assert entrypoint[0] == "daphne"
    port = free_port()
    args = [sys.executable, "-m", *entrypoint]
    args[args.index("0.0.0.0")] = "127.0.0.1"
    args[args.index("8000")] = str(port)
    env = {
        **os.environ, "DEBUG": "false", "SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "127.0.0.1",
        "OMTRADER_USERNAME": "crm", "OMTRADER_PASSWORD": "pw",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        response = _get_when_up(f"http://127.0.0.1:{port}/healthz", process)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        # Everything else is behind sign-in (and HTTPS in production).
        assert requests.get(f"http://127.0.0.1:{port}/", allow_redirects=False,
                            timeout=5).status_code == 301
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get_when_up(url: str, process: subprocess.Popen):
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def test_it_names_only_real_commands_in_compose():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"portal", "relay", "postgres", "redis", "simulator"} <= set(services)
    manage_commands = get_commands()
    for name, service in services.items():
        entrypoint = service.get("entrypoint")
        if not entrypoint:
            continue
        if entrypoint[:2] == ["python", "manage.py"]:
            assert entrypoint[2] in manage_commands, f"{name}: no command {entrypoint[2]}"
        elif entrypoint[:2] == ["python", "-m"]:
            assert (ROOT / entrypoint[2] / "__main__.py").exists(), f"{name}: no {entrypoint[2]}"
        else:
            raise AssertionError(f"{name}: unexpected entrypoint {entrypoint}")
    portal_env = services["portal"]["environment"]
    assert portal_env["REDIS_URL"].startswith("redis://redis")
    assert portal_env["DATABASE_URL"].startswith("postgres://")
