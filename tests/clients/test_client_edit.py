from __future__ import annotations

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.clients.models import ClientIndex
from crmportal.staff.roles import BACK_OFFICE
from tests.clients.conftest import form_data

pytestmark = pytest.mark.usefixtures("writes")


def url(client_id: int) -> str:
    return reverse("clients-edit-client", args=[client_id])


@pytest.fixture
def customer(make_client):
    return make_client(document_number="MT7654321", tax_id="TX-99", city="Mdina",
                       preferred_group=6)


@pytest.mark.parametrize("role,status", [("backoffice", 200), ("administrator", 200),
                                         ("compliance", 403), ("supervisor", 403),
                                         ("roleless", 403)])
def test_it_offers_the_form_to_roles_that_may_change_clients(as_user, client, customer, role,
                                                             status):
    as_user(role)
    assert client.get(url(customer.id)).status_code == status


def test_it_refuses_a_client_outside_the_members_groups(client, make_staff, customer, omt):
    client.force_login(make_staff("limited", BACK_OFFICE, [9]))
    assert client.get(url(customer.id)).status_code == 404
    assert client.post(url(customer.id), {"city": "Elsewhere"}).status_code == 404
    assert omt.get_client(customer.id).city == "Mdina"


def test_it_sends_only_what_changed_and_audits_before_and_after(as_user, client, omt,
                                                                customer):
    user = as_user("backoffice")
    data = {**form_data(client, customer.id), "city": "Rabat", "net_worth": "1000.00"}
    response = client.post(url(customer.id), data)
    assert response.status_code == 302
    assert omt.get_client(customer.id).city == "Rabat"
    entry = AuditEntry.objects.get(action="client.update", entity_id=str(customer.id))
    assert entry.actor == user and entry.outcome == "ok"
    assert entry.before == {"city": "Mdina", "net_worth": None}
    assert entry.after == {"city": "Rabat", "net_worth": "1000.00"}
    assert ClientIndex.objects.get(pk=customer.id).record["city"] == "Rabat"
    assert "Saved: city, net worth." in client.get(response["Location"]).content.decode()


def test_it_keeps_hidden_values_when_back_office_leaves_them_blank(as_user, client, omt,
                                                                   customer):
    as_user("backoffice")
    page = client.get(url(customer.id)).content.decode()
    assert "MT7654321" not in page and "TX-99" not in page
    data = {**form_data(client, customer.id), "family_name": "Camilleri"}
    assert data["document_number"] == "" and data["tax_id"] == ""
    client.post(url(customer.id), data)
    stored = omt.get_client(customer.id)
    assert (stored.family_name, stored.document_number, stored.tax_id) == (
        "Camilleri", "MT7654321", "TX-99")


def test_it_lets_back_office_replace_a_hidden_value_without_seeing_it(as_user, client, omt,
                                                                      customer):
    as_user("backoffice")
    client.post(url(customer.id), {**form_data(client, customer.id), "document_number": "NEW1"})
    assert omt.get_client(customer.id).document_number == "NEW1"
    entry = AuditEntry.objects.get(action="client.update")
    assert entry.before == {"document_number": "[hidden]"}
    assert entry.after == {"document_number": "[hidden]"}


def test_it_shows_current_values_to_roles_that_may_see_them(as_user, client, customer):
    as_user("administrator")
    assert 'value="MT7654321"' in client.get(url(customer.id)).content.decode()


def test_it_says_when_nothing_changed(as_user, client, customer):
    as_user("backoffice")
    response = client.post(url(customer.id), form_data(client, customer.id), follow=True)
    assert "Nothing was changed." in response.content.decode()
    assert not AuditEntry.objects.filter(action="client.update").exists()


def test_it_keeps_input_when_someone_else_changed_the_client(as_user, client, omt, customer):
    as_user("backoffice")
    data = {**form_data(client, customer.id), "city": "Gozo"}
    omt.update_client(customer.id, {"comment": "changed by someone else"})
    response = client.post(url(customer.id), data)
    body = response.content.decode()
    assert response.status_code == 200 and "Someone changed this client" in body
    assert 'value="Gozo"' in body and omt.get_client(customer.id).city == "Mdina"
    assert client.post(url(customer.id), response.context["form"].data).status_code == 302
    assert omt.get_client(customer.id).city == "Gozo"


def test_it_keeps_input_and_marks_fields_on_a_validation_error(as_user, client, customer):
    as_user("backoffice")
    data = {**form_data(client, customer.id), "city": "Qormi", "issue_date": "2030-01-01"}
    response = client.post(url(customer.id), data)
    assert "cannot be in the future" in " ".join(response.context["form"].errors["issue_date"])
    assert 'value="Qormi"' in response.content.decode()


def test_it_shows_omtraders_refusal_and_audits_it(as_user, client, customer, knobs):
    as_user("backoffice")
    knobs.fault(method="PUT", path=f"/api/v1/manager/clients/{customer.id}", status=409)
    response = client.post(url(customer.id), {**form_data(client, customer.id), "city": "Zejtun"})
    assert "OMTrader refused the change: injected fault" in response.content.decode()
    entry = AuditEntry.objects.get(action="client.update")
    assert entry.outcome == "rejected" and entry.after == {"city": "Zejtun"}


def test_it_answers_404_for_a_client_omtrader_does_not_have(as_user, client):
    as_user("backoffice")
    assert client.get(url(999999)).status_code == 404


def test_it_audits_the_edit_with_the_request_id_and_the_address_behind_the_proxy(
        as_user, client, customer, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    as_user("backoffice")
    data = {**form_data(client, customer.id), "city": "Rabat"}
    response = client.post(url(customer.id), data, REMOTE_ADDR="10.0.0.2",
                           HTTP_X_FORWARDED_FOR="198.51.100.4", HTTP_X_REQUEST_ID="edit-req-0001")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="client.update", entity_id=str(customer.id))
    assert (entry.request_id, entry.ip_address) == ("edit-req-0001", "198.51.100.4")
