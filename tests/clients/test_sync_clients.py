from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from crmportal.clients import index
from crmportal.clients.models import ClientIndex, ClientIndexGroup, IndexState

pytestmark = pytest.mark.usefixtures("writes")


def test_it_indexes_every_client_with_their_account_groups(no_index, seeded):
    out = io.StringIO()
    call_command("sync_clients", stdout=out)
    assert f"Indexed {len(seeded)} clients" in out.getvalue()
    assert ClientIndex.objects.count() == len(seeded)
    busy = max(seeded, key=lambda c: len(c.accounts))
    assert set(ClientIndexGroup.objects.filter(client_id=busy.id)
               .values_list("group_id", flat=True)) == {a.group_id for a in busy.accounts}
    assert ClientIndex.objects.get(pk=busy.id).accounts == len(busy.accounts)


def test_it_drops_clients_deleted_in_omtrader(omt, make_client):
    gone = make_client()
    index.refresh_client(omt, gone.id)
    assert ClientIndex.objects.filter(pk=gone.id).exists()
    omt.delete_client(gone.id)
    call_command("sync_clients", stdout=io.StringIO())
    assert not ClientIndex.objects.filter(pk=gone.id).exists()


def test_it_fails_loudly_when_omtrader_does_not_answer(knobs):
    knobs.control(error_rate=1.0, error_status=500)  # every call, every retry
    with pytest.raises(CommandError, match="OMTrader did not answer"):
        call_command("sync_clients", stdout=io.StringIO())


def test_a_large_index_flags_deletions_for_the_command(as_user, client, omt, make_client,
                                                       monkeypatch):
    monkeypatch.setattr(index, "INLINE_REBUILD_MAX", 10)
    as_user("backoffice")
    gone = make_client(family_name="Vanished")
    client.get(reverse("clients-list-clients"))
    omt.delete_client(gone.id)
    body = client.get(reverse("clients-list-clients")).content.decode()
    assert "deleted in OMTrader outside the portal" in body
    assert IndexState.load().reconcile_needed
    call_command("sync_clients", stdout=io.StringIO())
    body = client.get(reverse("clients-list-clients"), {"q": "vanished"}).content.decode()
    assert "deleted in OMTrader outside the portal" not in body and "No client matches" in body


def test_another_area_can_refresh_one_client(omt, make_client):
    customer = make_client(city="Before")
    index.refresh_client(omt, customer.id)
    omt.update_client(customer.id, {"city": "After"})
    index.refresh_client(omt, customer.id)
    assert ClientIndex.objects.get(pk=customer.id).record["city"] == "After"
