from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.clients.forms import ClientForm
from crmportal.clients.models import ClientIndex
from crmportal.omtrader.errors import Rejected
from crmportal.staff.roles import BACK_OFFICE

URL = reverse("clients-create-client")
pytestmark = pytest.mark.usefixtures("writes")


def new_client(**fields) -> dict:
    return {"type": "0", "status": "1", "first_name": "Nadia", "family_name": "Borg",
            "email": "nadia.borg@example.test", "country": "MT", "document_type": "0",
            "document_number": "MT1234567", "issue_date": "2020-01-02",
            "expiry_date": "2030-01-01", "birth_date": "1990-05-17", "net_worth": "125000.50",
            "forex_experience": "1", "preferred_group": "6", **fields}


@pytest.mark.parametrize("role,status", [("backoffice", 200), ("administrator", 200),
                                         ("compliance", 403), ("supervisor", 403),
                                         ("roleless", 403)])
def test_it_offers_the_form_to_roles_that_may_change_clients(as_user, client, role, status):
    as_user(role)
    assert client.get(URL).status_code == status


def test_it_refuses_to_create_for_a_role_that_may_not(as_user, client, omt):
    as_user("compliance")
    before = omt.list_clients(limit=1).total
    assert client.post(URL, new_client()).status_code == 403
    assert omt.list_clients(limit=1).total == before


def test_it_creates_the_client_in_omtrader_and_audits_it(as_user, client, omt):
    user = as_user("backoffice")
    response = client.post(URL, new_client())
    assert response.status_code == 302
    client_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    created = omt.get_client(client_id)
    assert (created.first_name, created.family_name, created.document_number) == (
        "Nadia", "Borg", "MT1234567")
    assert str(created.net_worth) == "125000.5" and created.forex_experience.code == 1
    assert created.birth_date == date(1990, 5, 17) and created.preferred_group == 6
    entry = AuditEntry.objects.get(action="client.create")
    assert entry.actor == user and entry.entity_id == str(client_id) and entry.outcome == "ok"
    assert entry.after["first_name"] == "Nadia" and entry.after["document_number"] == "[hidden]"
    assert ClientIndex.objects.get(pk=client_id).family_name == "Borg"
    page = client.get(response["Location"]).content.decode()
    assert f"Client #{client_id} Nadia Borg was created." in page


@pytest.mark.parametrize("field,value,message", [
    ("birth_date", (date.today() + timedelta(days=2)).isoformat(), "cannot be in the future"),
    ("expiry_date", "2019-01-01", "must be after the issue date"),
    ("email", "not-an-address", "Enter a valid email address"),
    ("first_name", "   ", "This field is required"),
    ("status", "99", "Select a valid choice"),
    ("net_worth", "-5", "greater than or equal to 0"),
    ("mobile", "call me", "Enter a phone number"),
])
def test_it_keeps_what_was_typed_and_marks_the_field(as_user, client, omt, field, value,
                                                     message):
    as_user("backoffice")
    before = omt.list_clients(limit=1).total
    response = client.post(URL, new_client(**{field: value}, city="Sliema"))
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    body = response.content.decode()
    assert 'value="Sliema"' in body and 'value="MT1234567"' in body
    assert omt.list_clients(limit=1).total == before


def test_it_puts_omtraders_field_messages_on_the_fields(omt):
    with pytest.raises(Rejected) as refused:
        omt.create_client({"first_name": "", "email": "nope", "type": 0, "status": 1})
    form = ClientForm(new_client(), groups=[], may_see_sensitive=True, scope=None)
    form.is_valid()
    form.add_upstream_errors(refused.value.field_errors, refused.value.message)
    assert "OMTrader: must not be empty" in form.errors["first_name"]
    assert "OMTrader: this field is required" in form.errors["family_name"]
    assert "OMTrader: enter a valid e-mail address" in form.errors["email"]


def test_it_shows_a_refusal_and_audits_it(as_user, client, knobs):
    as_user("backoffice")
    knobs.fault(method="POST", path="/api/v1/manager/clients", status=400)
    response = client.post(URL, new_client())
    assert response.status_code == 200
    assert "OMTrader refused the change: injected fault" in response.content.decode()
    assert 'value="Nadia"' in response.content.decode()
    entry = AuditEntry.objects.get(action="client.create")
    assert entry.outcome == "rejected" and entry.after["family_name"] == "Borg"


def test_it_does_not_claim_success_when_omtrader_does_not_answer(as_user, client, knobs):
    as_user("backoffice")
    knobs.fault(method="POST", path="/api/v1/manager/clients", status=500)
    response = client.post(URL, new_client())
    assert "may or may not have been saved" in response.content.decode()
    assert AuditEntry.objects.get(action="client.create").outcome == "failed"


def test_it_limits_a_scoped_member_to_their_groups(client, make_staff):
    client.force_login(make_staff("limited", BACK_OFFICE, [9]))
    form = client.get(URL).context["form"]
    assert [value for value, _ in form.fields["preferred_group"].choices] == ["", 9]
    response = client.post(URL, new_client(preferred_group="6"))
    assert "Select a valid choice" in " ".join(response.context["form"].errors["preferred_group"])
    response = client.post(URL, new_client(preferred_group=""))
    assert "required" in " ".join(response.context["form"].errors["preferred_group"])
    assert client.post(URL, new_client(preferred_group="9")).status_code == 302
