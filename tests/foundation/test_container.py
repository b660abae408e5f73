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
    assert entrypoint[:3] == ["python", "manage.py", "serve"]  # daphne, one or more processes
    port = free_port()
    args = [sys.executable, *entrypoint[1:]]
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
    assert portal_env["REDIS_URL"].endswith("@redis:6379/0")
    assert portal_env["DATABASE_URL"].startswith("postgres://")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _portal_services(services: dict) -> list[str]:
    return [name for name, service in services.items() if service.get("build")
            and name != "simulator"]


def test_it_defaults_the_image_to_debug_off():
    env = _dockerfile_instruction("ENV")
    assert re.search(r"(^|\s)DEBUG=false(\s|$)", env), env
    # ...while a developer's environment without DEBUG (`make dev`, the tests) starts in
    # development mode; `make run` sets DEBUG=false itself.
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT, env={k: v for k, v in os.environ.items() if k != "DEBUG"}
        | {"DJANGO_SETTINGS_MODULE": "crmportal.settings"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.stdout.strip() == "True", result.stderr[-2000:]


def test_it_publishes_only_the_tls_proxy():
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"caddy"}
    caddy = services["caddy"]
    assert caddy["image"].startswith("caddy:2")
    assert any(port.startswith("443:") for port in caddy["ports"])
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert re.search(r"^\s*tls internal\s*$", caddyfile, re.MULTILINE)
    assert re.search(r"dynamic a portal 8000", caddyfile)


def test_it_requires_a_password_for_redis_and_gives_it_to_the_portal():
    services = _compose()["services"]
    redis = services["redis"]
    assert "ports" not in redis
    command = redis["command"]
    password = command[command.index("--requirepass") + 1]
    assert password.startswith("${REDIS_PASSWORD:?")
    for name in _portal_services(services):
        url = services[name]["environment"]["REDIS_URL"]
        assert url.startswith("redis://:${REDIS_PASSWORD:?") and url.endswith("@redis:6379/0")


def test_it_trusts_forwarded_headers_only_from_the_proxy():
    import ipaddress

    compose = _compose()
    services = compose["services"]
    subnet = ipaddress.ip_network(compose["networks"]["default"]["ipam"]["config"][0]["subnet"])
    caddy_address = services["caddy"]["networks"]["default"]["ipv4_address"]
    assert ipaddress.ip_address(caddy_address) in subnet
    for name in _portal_services(services):
        env = services[name]["environment"]
        assert env["TRUSTED_PROXIES"] == caddy_address, name
        # TLS ends at the proxy: the portal still insists on https, as the proxy reports it.
        assert env["DEBUG"] == "false"
        assert "SECURE_PROXY_SSL_HEADER" not in env  # always on; TRUSTED_PROXIES makes it safe
        assert env["SECURE_SSL_REDIRECT"].startswith("${SECURE_SSL_REDIRECT:-true}")


def test_it_takes_every_secret_from_the_environment():
    services = _compose()["services"]
    required = set()
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            if re.search(r"SECRET|PASSWORD|KEY|USERS", key):
                assert re.search(r"\$\{[A-Z_]+:\?", value), f"{name}: {key} is not from the env"
            # A password inside a URL comes from the environment too.
            userinfo = re.match(r"\w+://([^/@]*)@", value)
            if userinfo:
                assert userinfo.group(1).partition(":")[2].startswith("${"), f"{name}: {key}"
        required |= set(re.findall(r"\$\{([A-Z_]+):\?", json.dumps(service)))
    example = (ROOT / ".env.example").read_text()
    for variable in required:
        assert re.search(rf"^{variable}=", example, re.MULTILINE), f".env.example: {variable}"


def test_it_keeps_the_env_file_out_of_git_and_the_image():
    ignored = subprocess.run(["git", "check-ignore", "--quiet", ".env"], cwd=ROOT)
    assert ignored.returncode == 0
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in dockerignore
