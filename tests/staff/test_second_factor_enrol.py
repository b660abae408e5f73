"""Setting up an authenticator: the QR code and key, the first code, the recovery codes."""

from __future__ import annotations

import base64
import re

from django_otp.plugins.otp_totp.models import TOTPDevice

from crmportal.audit.models import AuditEntry
from crmportal.staff.models import RecoveryCode
from tests.staff.conftest import app_code


def _codes(page) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", page.content.decode())


def test_it_sends_a_member_whose_role_requires_it_to_enrolment_after_the_password(
        client, backoffice, otp_required, sign_in):
    sign_in("bo")
    response = client.get("/clients/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/?next=%2Fclients%2F"
    assert client.get("/").status_code == 302  # nothing else until enrolled


def test_it_shows_the_qr_code_as_inline_svg_and_the_key_as_text(client, backoffice, otp_required,
                                                                   sign_in):
    sign_in("bo")
    page = client.get("/account/two-factor/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=backoffice, confirmed=False)
    assert page.status_code == 200
    assert '<svg width="' in html and 'class="segno"' in html and "data:" not in html
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1)
    assert shown.replace(" ", "") == key
    assert "issuer=CRM%20Portal" in device.config_url and "CRM%20Portal%3Abo" in device.config_url
    # The page reloads with the same key: the QR code scanned a minute ago still works.
    client.get("/account/two-factor/")
    assert TOTPDevice.objects.filter(user=backoffice).count() == 1


def test_it_turns_on_with_a_real_code_and_shows_ten_recovery_codes_once(client, backoffice,
                                                                         otp_required, sign_in):
    sign_in("bo", next_url="/clients/")
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=backoffice)
    page = client.post("/account/two-factor/", {"code": app_code(device), "next": "/clients/"})
    assert page.status_code == 200
    codes = _codes(page)
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200  # this session passed the second factor
    # Shown once: the status page shows a count, never the codes.
    status = client.get("/account/two-factor/").content.decode()
    assert "10</strong> unused recovery codes" in status
    assert not any(code in status for code in codes)
    entry = AuditEntry.objects.get(action="staff.second_factor_enrol", outcome="ok")
    assert entry.actor == backoffice


def test_it_stores_recovery_codes_only_as_salted_hashes(client, backoffice, otp_required,
                                                        sign_in):
    sign_in("bo")
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=backoffice)
    codes = _codes(client.post("/account/two-factor/", {"code": app_code(device)}))
    rows = list(RecoveryCode.objects.filter(user=backoffice))
    assert len(rows) == 10 and len({row.salt for row in rows}) == 10
    stored = " ".join(f"{row.salt} {row.code_hash}" for row in rows)
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored


def test_it_refuses_a_wrong_code_at_enrolment(client, backoffice, otp_required, sign_in):
    sign_in("bo")
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=backoffice)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"
    page = client.post("/account/two-factor/", {"code": wrong})
    assert page.status_code == 400
    assert b"That code is not right" in page.content and b"<svg" in page.content
    device.refresh_from_db()
    assert not device.confirmed and not RecoveryCode.objects.exists()
    assert AuditEntry.objects.filter(action="staff.second_factor_enrol", outcome="denied").exists()


def test_it_answers_nonsense_with_a_message_not_an_error(client, backoffice, otp_required,
                                                         sign_in):
    sign_in("bo")
    for junk in ("", "abc", "1" * 500, "<script>", "12 34 56 78 90"):
        page = client.post("/account/two-factor/", {"code": junk})
        assert page.status_code == 400 and b"That code is not right" in page.content


def test_it_lets_a_member_whose_role_does_not_require_it_enrol_anyway(client, backoffice,
                                                                       sign_in):
    sign_in("bo")
    assert client.get("/").status_code == 200
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=backoffice)
    assert len(_codes(client.post("/account/two-factor/", {"code": app_code(device)}))) == 10
    client.post("/logout/")
    sign_in("bo")
    # From now on they have a device, so the code is asked whatever the setting says.
    assert client.get("/")["Location"] == "/login/verify/"


def _topbar_links(page) -> list[str]:
    header = page.content.decode().split('<header class="topbar">')[1].split("</header>")[0]
    return re.findall(r'<a [^>]*href="([^"]+)"', header)


def test_it_shows_no_area_links_while_the_member_is_held_at_enrolment(client, backoffice,
                                                                      otp_required, sign_in):
    sign_in("bo")
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and page.context["nav_areas"] == []
    assert _topbar_links(page) == ["/"]  # the brand only; sign-out is a form
    assert 'action="/logout/"' in page.content.decode()
    device = TOTPDevice.objects.get(user=backoffice)
    client.post("/account/two-factor/", {"code": app_code(device)})
    # Enrolled: this session passed, and the areas come back.
    assert "/clients/" in _topbar_links(client.get("/account/two-factor/"))


def test_it_shows_no_area_links_on_the_code_page_either(client, backoffice, enrolled, sign_in):
    enrolled(backoffice)
    sign_in("bo")
    page = client.get("/login/verify/")
    assert page.status_code == 200 and page.context["nav_areas"] == []
    assert _topbar_links(page) == ["/"]
