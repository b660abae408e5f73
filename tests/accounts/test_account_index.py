"""The account index: built on first use and by sync_accounts, kept fresh by the list's
check, honest when OMTrader does not answer the check."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.urls import reverse

from crmportal.accounts.models import AccountIndex, AccountIndexState

LIST = reverse("accounts-list-accounts")


def test_sync_accounts_indexes_every_account(omt):
    out = io.StringIO()
    call_command("sync_accounts", stdout=out)
    total = omt.list_accounts(limit=1).total
    assert f"Indexed {total} accounts" in out.getvalue()
    assert AccountIndex.objects.count() == total


def test_the_first_list_builds_the_index(client, administrator, omt):
    AccountIndex.objects.all().delete()
    AccountIndexState.objects.all().delete()
    client.force_login(administrator)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == omt.list_accounts(limit=1).total


def test_an_account_deleted_outside_the_portal_leaves_the_list(client, administrator, omt,
                                                               writes, make_client):
    customer = make_client(preferred_group=6)
    account = omt.create_account({"client_id": customer.id, "group_id": 6})
    client.force_login(administrator)
    assert client.get(LIST, {"q": str(account.id)}).context["page"].paginator.count == 1
    omt.delete_account(account.id)  # straight to OMTrader, not through the portal
    assert client.get(LIST, {"q": str(account.id)}).context["page"].paginator.count == 0


def test_a_check_omtrader_refuses_still_answers_from_the_index(client, administrator, knobs):
    client.force_login(administrator)
    knobs.fault(method="GET", path="/api/v1/manager/accounts", status=400, count=5)
    response = client.get(LIST)
    assert response.status_code == 200
    assert "refused the change check" in response.content.decode()
    assert response.context["page"].paginator.count == AccountIndex.objects.count() > 0
