"""/account/password/: Django's password change form, validators, audit, lockout."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.test import Client

from crmportal.audit.models import AuditEntry
from tests.support.staff import PASSWORD

NEW = "lantern-orchard-57-quietly"


def change(client, old: str, new: str, again: str | None = None):
    return client.post("/account/password/", {
        "old_password": old, "new_password1": new, "new_password2": again or new})


def test_it_is_linked_from_the_top_bar(client, backoffice):
    client.force_login(backoffice)
    assert b'href="/account/password/"' in client.get("/").content
    page = client.get("/account/password/")
    assert page.status_code == 200 and b"Change your password" in page.content


def test_it_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_changes_the_password_keeps_this_session_and_ends_the_others(client, backoffice):
    other = Client()
    other.force_login(backoffice)
    client.force_login(backoffice)
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302 and response["Location"] == "/"
    assert b"Your password was changed." in client.get("/").content
    assert other.get("/").status_code == 302
    assert authenticate(username="bo", password=NEW) is not None
    assert authenticate(username="bo", password=PASSWORD) is None
    entry = AuditEntry.objects.get(action="staff.password_change")
    assert entry.actor == backoffice and entry.outcome == "ok"
    assert NEW not in str(entry.__dict__) and PASSWORD not in str(entry.__dict__)


def test_it_applies_the_password_validators(client, backoffice):
    client.force_login(backoffice)
    response = change(client, PASSWORD, "password")
    assert response.status_code == 200
    assert b"This password is too common." in response.content
    assert authenticate(username="bo", password=PASSWORD) is not None


def test_it_refuses_and_audits_a_wrong_current_password(client, backoffice):
    client.force_login(backoffice)
    response = change(client, "not-my-password", NEW)
    assert b"Your old password was entered incorrectly" in response.content
    entry = AuditEntry.objects.get(action="staff.password_change")
    assert entry.outcome == "denied" and "not-my-password" not in str(entry.__dict__)
    assert authenticate(username="bo", password=PASSWORD) is not None


def test_it_stops_guessing_the_current_password_after_five_tries(client, backoffice):
    client.force_login(backoffice)
    for n in range(5):
        change(client, f"guess-{n}", NEW)
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 429
    assert b"Too many failed sign-ins for this name or from this address." in response.content
    assert authenticate(username="bo", password=PASSWORD) is not None
