"""Signed out after SESSION_IDLE_TIMEOUT without a request, on top of the absolute lifetime."""

from __future__ import annotations

import time

from crmportal.audit.models import AuditEntry
from crmportal.staff.sessions import LAST_SEEN
from tests.support.staff import PASSWORD


def last_seen(client, seconds_ago: float) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time() - seconds_ago)
    session.save()


def test_it_keeps_an_active_member_signed_in_and_moves_the_clock(client, backoffice):
    client.force_login(backoffice)
    last_seen(client, 29 * 60)
    assert client.get("/").status_code == 200
    assert time.time() - client.session[LAST_SEEN] < 5
    assert not AuditEntry.objects.filter(action="auth.idle_timeout").exists()


def test_it_signs_out_an_idle_member_and_says_why(client, backoffice):
    client.force_login(backoffice)
    last_seen(client, 31 * 60)
    response = client.get("/audit/?action=auth")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/audit/%3Faction%3Dauth"
    page = client.get(response["Location"])
    assert b"signed out after 30 minutes without activity" in page.content
    assert client.get("/").status_code == 302
    entry = AuditEntry.objects.get(action="auth.idle_timeout")
    assert entry.actor == backoffice and entry.outcome == "ok"


def test_it_sends_an_idle_htmx_request_to_sign_in_for_the_page_in_the_browser(
        client, backoffice):
    client.force_login(backoffice)
    last_seen(client, 31 * 60)
    response = client.get("/clients/?page=2", headers={
        "HX-Request": "true", "HX-Current-URL": "http://testserver/clients/?q=ann"})
    assert response["HX-Redirect"] == "/login/?next=/clients/%3Fq%3Dann"
    assert client.get("/").status_code == 302


def test_it_follows_the_setting(client, backoffice, settings):
    settings.SESSION_IDLE_TIMEOUT = 120
    client.force_login(backoffice)
    last_seen(client, 121)
    assert client.get("/").status_code == 302


def test_it_starts_the_clock_at_sign_in(client, backoffice):
    response = client.post("/login/", {"username": "bo", "password": PASSWORD})
    assert response.status_code == 302
    assert time.time() - client.session[LAST_SEEN] < 5
    assert client.get("/").status_code == 200
