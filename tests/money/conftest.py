"""Money against the real simulator. The clients area's fixtures (upstream, knobs, writes,
as_user, omt) are reused; each test picks seeded accounts by their owner's KYC state and
asserts on changes, never on absolute balances."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crmportal.money.models import MoneyOperation
from tests.clients import conftest as clients_area

# The clients area's fixtures, shared rather than written twice.
as_user, built_index, knobs = clients_area.as_user, clients_area.built_index, clients_area.knobs
make_client, omt = clients_area.make_client, clients_area.omt
upstream, writes = clients_area.upstream, clients_area.writes

APPROVED, PENDING = 0, None
MONEY_PATH = "/api/v1/manager/accounts/{id}/money"


@pytest.fixture(autouse=True)
def money_settings(settings, writes):
    settings.MONEY_SETTLE_SECONDS = 0
    settings.OMTRADER_READ_TIMEOUT = 2.0
    settings.STEP_UP_SECONDS = 3600
    # Closing trades move balances too: a still market keeps "changed once" exact.
    writes.control(market_paused=True)
    yield
    writes.control(market_paused=False)


@pytest.fixture
def pick_account(omt):
    """A seeded account whose owner's KYC is approved (or pending), optionally in a group,
    with at least `free` free margin."""
    clients = {c.id: c for c in omt.list_clients(limit=1000).items}

    def pick(kyc=APPROVED, group_id=None, currency="USD", free=1000, skip=()):
        for account in omt.iter_all(omt.list_accounts):
            owner = clients.get(account.client_id)
            if (owner is not None and owner.kyc_status == kyc and account.currency == currency
                    and (group_id is None or account.group_id == group_id)
                    and account.id not in skip and (account.margin_free or 0) >= free):
                return account
        raise LookupError("no such seeded account")

    return pick


def history_count(omt, account_id: int, reference: str = "") -> int:
    rows = omt.iter_all(omt.list_transactions, account_id=account_id)
    return sum(1 for tx in rows if not reference or f"[{reference}]" in tx.comment)


def review(client, account_id: int, **data):
    """Post the operation form; returns the response (the confirm page when valid)."""
    return client.post(reverse("money-create-operation", args=[account_id]),
                       {"type": "deposit", "comment": "", **data})


def confirm(client, account_id: int, token: str):
    return client.post(reverse("money-confirm-operation", args=[account_id]), {"token": token})


def submit(client, account_id: int, **data) -> MoneyOperation:
    """Review then confirm; the operation made."""
    page = review(client, account_id, **data)
    assert page.status_code == 200, page.content.decode()[:2000]
    confirm(client, account_id, page.context["token"])
    return MoneyOperation.objects.latest("id")
