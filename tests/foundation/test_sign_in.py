from __future__ import annotations

from crmportal.audit.models import AuditEntry
from tests.support.staff import PASSWORD


def test_it_signs_in_and_records_it(client, backoffice):
    response = client.post("/login/", {"username": "bo", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"Back office" in page.content
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor == backoffice and entry.request_id


def test_it_records_a_failed_sign_in_without_the_password(client, backoffice):
    response = client.post("/login/", {"username": "bo", "password": "wrong-password"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.actor_username == "bo" and entry.outcome == "denied"
    assert "wrong-password" not in str(entry.__dict__)


def test_it_pauses_sign_in_after_repeated_failures(client, backoffice):
    for _ in range(5):
        client.post("/login/", {"username": "bo", "password": "nope"})
    response = client.post("/login/", {"username": "bo", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert not client.get("/").status_code == 200


def test_it_sends_a_signed_in_member_home_from_a_next_that_points_at_sign_in(
        client, backoffice):
    client.force_login(backoffice)
    response = client.get("/login/?next=/login/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_it_signs_out_with_post(client, backoffice):
    client.force_login(backoffice)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", actor=backoffice).exists()


def test_it_shows_dates_in_the_staff_members_time_zone(client, make_staff):
    from crmportal.audit.log import record

    user = make_staff("tokyo", "Administrator", time_zone="Asia/Tokyo")
    entry = record("test.write", actor=user)
    client.force_login(user)
    page = client.get("/audit/")
    local = entry.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%Y-%m-%d %H:%M").encode() in page.content
