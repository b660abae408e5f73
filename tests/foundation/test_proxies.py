"""X-Forwarded-For / X-Forwarded-Proto count only from the proxies in TRUSTED_PROXIES."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured

from crmportal.audit.models import AuditEntry
from crmportal.proxies import parse_networks
from tests.support.staff import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
FORGED = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_X_FORWARDED_PROTO": "https"}


def signed_in_from(client, peer: str, **headers) -> str:
    client.post("/login/", {"username": "bo", "password": PASSWORD}, REMOTE_ADDR=peer, **headers)
    return AuditEntry.objects.filter(action="auth.login").latest("id").ip_address


def test_it_ignores_forwarded_headers_from_a_peer_that_is_not_a_proxy(client, backoffice):
    assert signed_in_from(client, "198.51.100.4", **FORGED) == "198.51.100.4"


def test_it_takes_the_client_from_a_trusted_proxy(client, backoffice, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 198.51.100.4"}
    # The left entry was written by the client itself: only the proxy's own entry counts.
    assert signed_in_from(client, "10.0.0.2", **headers) == "198.51.100.4"


def test_it_walks_past_every_trusted_proxy_in_a_network(client, backoffice, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 198.51.100.4, 10.1.2.3, 2001:db8::5"}
    assert signed_in_from(client, "::ffff:10.9.9.9", **headers) == "198.51.100.4"


def test_it_stops_at_a_malformed_entry(client, backoffice, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, not-an-ip, 10.1.2.3"}
    assert signed_in_from(client, "10.0.0.2", **headers) == "10.1.2.3"


def test_it_claims_https_only_through_a_trusted_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    forged = client.get("/login/", REMOTE_ADDR="198.51.100.4", **FORGED)
    assert forged.status_code == 301 and forged["Location"].startswith("https://")
    proxied = client.get("/login/", REMOTE_ADDR="10.0.0.2", **FORGED)
    assert proxied.status_code == 200


def test_it_names_a_bad_trusted_proxy_entry():
    assert [str(n) for n in parse_networks(["10.0.0.1", "10.2.0.0/16"])] == [
        "10.0.0.1/32", "10.2.0.0/16"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES.*'10.0.0.300'"):
        parse_networks(["10.0.0.300"])


def test_it_runs_daphne_without_its_own_proxy_header_handling():
    text = (ROOT / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT\s+(.+)$", text, re.MULTILINE).group(1))
    assert entrypoint[:3] == ["python", "manage.py", "serve"]  # which starts daphne
    assert "--proxy-headers" not in entrypoint
    from crmportal.live.management.commands.serve import daphne_command

    assert "daphne" in daphne_command(3) and "--proxy-headers" not in daphne_command(3)


async def refused_socket_from(peer: str, forwarded_for: str) -> str:
    from crmportal.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/live/", headers=[
        (b"origin", b"http://127.0.0.1"), (b"x-forwarded-for", forwarded_for.encode())])
    communicator.scope["client"] = [peer, 50000]
    connected, _ = await communicator.connect(timeout=10)
    assert not connected
    entry = await database_sync_to_async(
        lambda: AuditEntry.objects.filter(action="live.refused").latest("id"))()
    return entry.detail


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_it_gives_sockets_the_client_address_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert "from 198.51.100.4:" in await refused_socket_from("10.0.0.2", "198.51.100.4")
    assert "from 192.0.2.9:" in await refused_socket_from("192.0.2.9", "198.51.100.4")
