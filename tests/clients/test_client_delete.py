from __future__ import annotations

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.clients.models import ClientIndex
from crmportal.omtrader.errors import NotFound
from crmportal.staff.roles import BACK_OFFICE

pytestmark = pytest.mark.usefixtures("writes")


def url(client_id: int) -> str:
    return reverse("clients-delete-client", args=[client_id])


@pytest.fixture(scope="module")
def with_accounts(seeded):
    return next(c for c in seeded if len(c.accounts) >= 2)


@pytest.mark.parametrize("role,status", [("backoffice", 200), ("administrator", 200),
                                         ("compliance", 403), ("supervisor", 403),
                                         ("roleless", 403)])
def test_it_asks_roles_that_may_change_clients_to_confirm(as_user, client, make_client, role,
                                                          status):
    as_user(role)
    assert client.get(url(make_client().id)).status_code == status


def test_it_names_the_consequence_before_deleting(as_user, client, make_client):
    as_user("backoffice")
    customer = make_client(family_name="Farrugia")
    body = client.get(url(customer.id)).content.decode()
    assert f"Delete client #{customer.id} Testa Farrugia?" in body
    assert "cannot be undone" in body


def test_it_warns_that_omtrader_refuses_clients_with_accounts(as_user, client, with_accounts):
    as_user("backoffice")
    body = client.get(url(with_accounts.id)).content.decode()
    assert f"has {len(with_accounts.accounts)} trading accounts" in body


def test_it_deletes_the_client_and_audits_it(as_user, client, omt, make_client):
    user = as_user("backoffice")
    customer = make_client(family_name="Gatt", document_number="SECRET1")
    client.get(reverse("clients-list-clients"))
    response = client.post(url(customer.id))
    assert response.status_code == 302 and response["Location"] == "/clients/"
    with pytest.raises(NotFound):
        omt.get_client(customer.id)
    assert not ClientIndex.objects.filter(pk=customer.id).exists()
    entry = AuditEntry.objects.get(action="client.delete")
    assert entry.actor == user and entry.outcome == "ok"
    assert entry.before["family_name"] == "Gatt" and entry.before["document_number"] == "[hidden]"
    assert "was deleted" in client.get("/clients/").content.decode()


def test_it_shows_omtraders_refusal_plainly(as_user, client, omt, with_accounts):
    as_user("backoffice")
    response = client.post(url(with_accounts.id))
    assert response.status_code == 409
    body = response.content.decode()
    assert "OMTrader refused to delete this client:" in body and "delete them first" in body
    assert omt.get_client(with_accounts.id).id == with_accounts.id
    entry = AuditEntry.objects.get(action="client.delete")
    assert entry.outcome == "rejected" and "still has" in entry.detail


def test_it_refuses_a_client_outside_the_members_groups(client, make_staff, make_client, omt):
    customer = make_client(preferred_group=6)
    client.force_login(make_staff("limited", BACK_OFFICE, [9]))
    assert client.post(url(customer.id)).status_code == 404
    assert omt.get_client(customer.id).id == customer.id
