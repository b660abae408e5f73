"""The client 360 bundle: right data, and one fan-out once the account ids are known."""

from __future__ import annotations

import time

import pytest

from crmportal.omtrader.bundles import client_overview

pytestmark = pytest.mark.timeout(60)


def busy_client(omt) -> int:
    """A client with several accounts and some open positions."""
    counts: dict[int, int] = {}
    for account in omt.iter_all(omt.list_accounts):
        counts[account.client_id] = counts.get(account.client_id, 0) + 1
    return max(counts, key=counts.get)


def test_it_gathers_a_clients_accounts_positions_deals_and_transactions(sim, omt):
    client_id = busy_client(omt)
    overview = client_overview(omt, client_id, recent=10)
    ids = {a.id for a in omt.list_accounts(client_id=client_id)}
    assert overview.client.id == client_id
    assert {a.id for a in overview.accounts} == ids and len(ids) >= 2
    assert all(p.account_id in ids and p.status.code == 0 for p in overview.positions)
    assert len(overview.deals) <= 10 and all(d.account_id in ids for d in overview.deals)
    stamps = [d.created_at for d in overview.deals]
    assert stamps == sorted(stamps, reverse=True)
    assert set(overview.transactions) == ids
    assert all(t.account_id == a for a, txs in overview.transactions.items() for t in txs)


def test_it_costs_one_round_trip_once_the_account_ids_are_cached(sim, omt):
    client_id = busy_client(omt)
    first = client_overview(omt, client_id)
    sim.control(latency_ms=150)
    started = time.monotonic()
    again = client_overview(omt, client_id)
    elapsed = time.monotonic() - started
    assert [a.id for a in again.accounts] == [a.id for a in first.accounts]
    assert set(again.transactions) == set(first.transactions)
    assert elapsed < 0.15 * 1.5


def test_it_stays_correct_when_the_cached_account_ids_are_stale(sim, omt):
    client_id = busy_client(omt)
    real = {a.id for a in omt.list_accounts(client_id=client_id)}
    omt.remember_client_accounts(client_id, [1, 2, 3, max(real)])  # wrong: moved or deleted
    overview = client_overview(omt, client_id)
    assert {a.id for a in overview.accounts} == real
    assert set(overview.transactions) == real
    assert all(p.account_id in real for p in overview.positions)
    assert sorted(omt.client_account_ids_cached(client_id)) == sorted(real)
