"""An administrator resets a member's second factor: step-up first, audited, and the member
enrols again."""

from __future__ import annotations

from crmportal.audit.models import AuditEntry
from crmportal.staff import twofactor
from crmportal.staff.models import RecoveryCode
from tests.staff.conftest import app_code
from tests.support.staff import PASSWORD


def test_it_asks_to_confirm_first_then_names_the_consequence(client, administrator, backoffice,
                                                            enrolled, verified, stale,
                                                            otp_required):
    enrolled(backoffice)
    device = verified(administrator)
    stale()
    page = f"/staff/{backoffice.pk}/reset-second-factor/"
    assert client.get(page)["Location"].startswith("/account/confirm/")
    client.post("/account/confirm/", {"code": app_code(device), "next": page})
    confirm = client.get(page)
    assert confirm.status_code == 200
    assert b"every recovery code stop working" in confirm.content
    assert b"must set up a new authenticator" in confirm.content


def test_it_resets_the_second_factor_and_the_member_must_enrol_again(
        client, administrator, backoffice, enrolled, otp_required, sign_in):
    from django.test import Client

    device = enrolled(backoffice)
    twofactor.new_recovery_codes(backoffice)
    member = Client()
    member.post("/login/", {"username": "bo", "password": PASSWORD})
    member.post("/login/verify/", {"code": app_code(device)})
    assert member.get("/").status_code == 200

    admin_device = enrolled(administrator)
    sign_in("ada")
    client.post("/login/verify/", {"code": app_code(admin_device)})
    response = client.post(f"/staff/{backoffice.pk}/reset-second-factor/")
    assert response.status_code == 302 and response["Location"] == f"/staff/{backoffice.pk}/"

    assert not twofactor.has_device(backoffice)
    assert not RecoveryCode.objects.filter(user=backoffice).exists()
    entry = AuditEntry.objects.get(action="staff.second_factor_reset")
    assert entry.actor == administrator and entry.entity_id == str(backoffice.pk)
    assert entry.before == {"second_factor": "on"} and entry.after == {"second_factor": "off"}
    # The member's open session lost its second factor: enrolment comes first now.
    assert member.get("/clients/")["Location"].startswith("/account/two-factor/")


def test_it_keeps_secrets_out_of_the_audit_log(client, backoffice, otp_required, sign_in):
    sign_in("bo")
    client.get("/account/two-factor/")
    device = twofactor.pending_device(backoffice)
    first = app_code(device)
    page = client.post("/account/two-factor/", {"code": first}).content.decode()
    codes = [line.split("<code>")[1].split("</code>")[0] for line in page.splitlines()
             if "<li><code>" in line]
    client.post("/account/confirm/", {"code": codes[0]})
    everything = " ".join(str(entry.__dict__) for entry in AuditEntry.objects.all())
    secret = twofactor.secret_text(device).replace(" ", "")
    plain = [code.replace("-", "") for code in codes]
    for value in (device.key, secret, first, PASSWORD, *codes, *plain):
        assert value not in everything
    assert AuditEntry.objects.filter(action="staff.second_factor_enrol").exists()
