"""The code asked after the password, recovery codes, and which roles must use a second factor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore

from crmportal.audit.models import AuditEntry
from crmportal.staff import twofactor
from crmportal.staff.models import RecoveryCode
from crmportal.staff.roles import BACK_OFFICE
from tests.staff.conftest import app_code, fresh_code


def _wrong(device) -> str:
    return f"{(int(app_code(device)) + 500_000) % 1_000_000:06d}"


def test_it_asks_for_the_code_after_the_password_before_any_page(client, backoffice, enrolled,
                                                                 sign_in):
    enrolled(backoffice)
    sign_in("bo", next_url="/clients/?q=smith")
    for path in ("/", "/clients/", "/audit/", "/account/two-factor/", "/staff/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/verify/")
    assert client.get("/clients/?q=smith")["Location"] == (
        "/login/verify/?next=%2Fclients%2F%3Fq%3Dsmith")


def test_it_lets_the_member_in_with_the_right_code_and_records_it(client, backoffice, enrolled,
                                                                   sign_in):
    device = enrolled(backoffice)
    sign_in("bo")
    response = client.post("/login/verify/", {"code": app_code(device), "next": "/clients/"})
    assert response.status_code == 302 and response["Location"] == "/clients/"
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.get(action="auth.second_factor")
    assert entry.outcome == "ok" and entry.actor == backoffice


def test_it_refuses_a_wrong_code_and_records_it(client, backoffice, enrolled, sign_in):
    device = enrolled(backoffice)
    sign_in("bo")
    wrong = _wrong(device)
    page = client.post("/login/verify/", {"code": wrong})
    assert page.status_code == 400 and b"That code is not right" in page.content
    assert client.get("/").status_code == 302
    entry = AuditEntry.objects.get(action="auth.second_factor")
    assert entry.outcome == "denied"
    assert wrong not in str(entry.__dict__)


def test_it_refuses_a_code_that_was_already_used(client, backoffice, enrolled, sign_in):
    device = enrolled(backoffice)
    sign_in("bo")
    code = fresh_code(device)
    assert client.post("/login/verify/", {"code": code}).status_code == 302
    client.post("/logout/")
    sign_in("bo")
    assert client.post("/login/verify/", {"code": code}).status_code == 400


def test_it_signs_the_member_out_after_five_wrong_codes(client, backoffice, enrolled, sign_in):
    device = enrolled(backoffice)
    sign_in("bo")
    for _ in range(4):
        assert client.post("/login/verify/", {"code": _wrong(device)}).status_code == 400
    response = client.post("/login/verify/", {"code": _wrong(device)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/login/verify/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/")


def test_it_accepts_a_recovery_code_once(client, backoffice, enrolled, sign_in):
    enrolled(backoffice)
    code = twofactor.new_recovery_codes(backoffice)[3]
    sign_in("bo")
    response = client.post("/login/verify/", {"code": code.upper().replace("-", " ")})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert RecoveryCode.objects.filter(user=backoffice, used_at__isnull=False).count() == 1
    used = AuditEntry.objects.get(action="staff.recovery_code_used")
    assert used.after == {"recovery_codes_left": 9} and code not in str(used.__dict__)
    client.post("/logout/")
    sign_in("bo")
    assert client.post("/login/verify/", {"code": code}).status_code == 400


def test_it_does_not_take_another_members_recovery_code(client, backoffice, compliance, enrolled,
                                                        sign_in):
    enrolled(backoffice)
    enrolled(compliance)
    theirs = twofactor.new_recovery_codes(compliance)[0]
    sign_in("bo")
    assert client.post("/login/verify/", {"code": theirs}).status_code == 400


def test_it_sends_htmx_requests_to_the_code_page_with_a_client_redirect(client, backoffice,
                                                                        enrolled, sign_in):
    enrolled(backoffice)
    sign_in("bo")
    response = client.get("/clients/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/login/verify/")


def test_it_still_serves_sign_out_and_healthz_before_the_code(client, backoffice, enrolled,
                                                              sign_in):
    enrolled(backoffice)
    sign_in("bo")
    assert client.get("/healthz").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/")


@pytest.mark.parametrize(("setting", "must"), [
    ("all", {"bo": True, "cora": True, "sam": True, "ada": True, "nobody": True}),
    ("none", {"bo": False, "cora": False, "sam": False, "ada": False, "nobody": False}),
    ("administrator,compliance",
     {"bo": False, "cora": True, "sam": False, "ada": True, "nobody": False}),
])
def test_it_requires_a_second_factor_of_the_roles_the_setting_names(
        client, settings, backoffice, compliance, supervisor, administrator, roleless, sign_in,
        setting, must):
    settings.OTP_REQUIRED_ROLES = setting
    for username, required in must.items():
        client.logout()
        sign_in(username)
        location = client.get("/").get("Location", "")
        assert (location == "/account/two-factor/") is required, username


def test_it_answers_needs_second_factor_for_the_live_sockets(backoffice, enrolled, settings):
    session = SessionStore()
    assert not twofactor.needs_second_factor(AnonymousUser(), session)
    assert not twofactor.needs_second_factor(backoffice, session)
    settings.OTP_REQUIRED_ROLES = "backoffice"
    assert twofactor.needs_second_factor(backoffice, session)
    settings.OTP_REQUIRED_ROLES = "none"
    device = enrolled(backoffice)
    assert twofactor.needs_second_factor(backoffice, session)
    session["otp_device_id"] = device.persistent_id
    assert not twofactor.needs_second_factor(backoffice, session)


def test_it_refuses_a_bad_required_roles_setting_at_startup():
    from django.core.exceptions import ImproperlyConfigured

    from crmportal.settings import _otp_required_roles

    assert _otp_required_roles(" All ") == "all"
    assert _otp_required_roles("backoffice,administrator") == "backoffice,administrator"
    for bad in ("", "everyone", "backoffice,cleaner", BACK_OFFICE):
        with pytest.raises(ImproperlyConfigured):
            _otp_required_roles(bad)
