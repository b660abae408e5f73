"""Step-up: a confirmation older than STEP_UP_SECONDS is asked again before staff actions."""

from __future__ import annotations

import time

from crmportal.audit.models import AuditEntry
from crmportal.staff import stepup
from tests.staff.conftest import app_code
from tests.support.staff import PASSWORD

RESET_PAGE = "/account/two-factor/recovery-codes/"


def test_it_counts_the_sign_in_as_a_confirmation(client, administrator, backoffice, upstream):
    client.force_login(administrator)
    assert stepup.is_fresh(client.session)
    assert client.get(f"/staff/{backoffice.pk}/").status_code == 200


def test_it_sends_a_stale_get_to_the_confirmation_page_and_back(client, administrator,
                                                                backoffice, stale, upstream):
    client.force_login(administrator)
    stale()
    page = f"/staff/{backoffice.pk}/"
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/account/confirm/?next=%2Fstaff%2F{backoffice.pk}%2F"
    form = client.get(response["Location"])
    assert b'name="password"' in form.content and b'name="code"' not in form.content
    back = client.post("/account/confirm/", {"password": PASSWORD, "next": page})
    assert back.status_code == 302 and back["Location"] == page
    assert client.get(page).status_code == 200
    entry = AuditEntry.objects.get(action="auth.step_up")
    assert entry.outcome == "ok" and entry.detail == "password"


def test_it_refuses_a_stale_post_and_never_performs_it(client, administrator, backoffice,
                                                       enrolled, stale):
    device = enrolled(backoffice)
    client.force_login(administrator)
    stale()
    response = client.post(f"/staff/{backoffice.pk}/reset-second-factor/")
    assert response.status_code == 403
    assert b"Nothing was done" in response.content
    assert b"/account/confirm/?next=" in response.content
    device.refresh_from_db()  # still there
    assert not AuditEntry.objects.filter(action="staff.second_factor_reset").exists()
    refused = AuditEntry.objects.get(action="auth.step_up")
    assert refused.outcome == "denied"


def test_it_asks_members_with_an_authenticator_for_a_code_not_the_password(
        client, administrator, verified, stale, settings):
    device = verified(administrator)
    stale()
    form = client.get("/account/confirm/?next=/staff/")
    assert b'name="code"' in form.content and b'name="password"' not in form.content
    assert client.post("/account/confirm/", {"password": PASSWORD}).status_code == 400
    response = client.post("/account/confirm/", {"code": app_code(device), "next": "/staff/"})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert stepup.is_fresh(client.session)


def test_it_refuses_a_wrong_password_and_signs_out_after_five(client, administrator, stale):
    client.force_login(administrator)
    stale()
    for _ in range(4):
        page = client.post("/account/confirm/", {"password": "not-it"})
        assert page.status_code == 400 and b"That password is not right" in page.content
    assert not stepup.is_fresh(client.session)
    response = client.post("/account/confirm/", {"password": "not-it"})
    assert response["Location"] == "/login/"
    assert client.get("/")["Location"].startswith("/login/")
    denied = AuditEntry.objects.filter(action="auth.step_up", outcome="denied")
    assert denied.count() == 6  # five wrong answers, then the sign-out
    assert "not-it" not in str([entry.__dict__ for entry in denied])


def test_it_returns_only_to_an_address_on_this_host(client, administrator, stale):
    client.force_login(administrator)
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        stale()
        response = client.post("/account/confirm/", {"password": PASSWORD, "next": target})
        assert response.status_code == 302 and response["Location"] == "/"


def test_it_expires_after_step_up_seconds(client, administrator, settings):
    settings.STEP_UP_SECONDS = 300
    client.force_login(administrator)
    session = client.session
    session[stepup.CONFIRMED_AT] = int(time.time()) - 299
    session.save()
    assert stepup.is_fresh(client.session)
    session[stepup.CONFIRMED_AT] = int(time.time()) - 301
    session.save()
    assert not stepup.is_fresh(client.session)
    assert client.get("/staff/1/")["Location"].startswith("/account/confirm/")


def test_it_sends_htmx_to_the_confirmation_with_a_client_redirect(client, administrator,
                                                                  backoffice, stale):
    client.force_login(administrator)
    stale()
    response = client.get(f"/staff/{backoffice.pk}/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/account/confirm/?next=")


def test_it_guards_new_recovery_codes_with_step_up(client, backoffice, verified, stale):
    device = verified(backoffice)
    stale()
    assert client.post(RESET_PAGE).status_code == 403
    client.post("/account/confirm/", {"code": app_code(device)})
    page = client.post(RESET_PAGE)
    assert page.status_code == 200 and page.content.count(b"<li><code>") == 10
    assert AuditEntry.objects.filter(action="staff.recovery_codes_regenerate").exists()
