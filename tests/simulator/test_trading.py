"""Orders, positions and deals: lists, histories, filters, by id (§5.2 #24-31, §6.6-6.8)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.simulator.helpers import (
    DEAL,
    ORDER,
    POSITION,
    RFC3339,
    M,
    assert_envelope,
    field_errors,
    has_fields,
)


def test_it_lists_active_orders(api):
    data = api.data(M + "/orders", limit=100)
    assert data["total"] > 0
    for order in data["records"]:
        has_fields(order, ORDER)
        assert order["status"] in (0, 1, 2)
        assert order["type"] in (1, 2, 3, 4)


def test_it_lists_order_history_with_filters(api):
    data = api.data(M + "/orders/history", limit=50, sort_by="time_done", dir="DESC")
    assert data["total"] > 1000
    done = [o["time_done"] for o in data["records"]]
    assert done == sorted(done, reverse=True)
    assert {o["status"] for o in data["records"]} <= {3, 4, 5, 6}
    rows = api.records(M + "/orders/history", account_id=5)
    assert rows and {o["account_id"] for o in rows} == {5}
    assert api.data(M + "/orders/history", **{"from": "2999-01-01"})["total"] == 0


def test_it_gets_an_order_by_id(api):
    order = api.data(M + "/orders/history", limit=1)["records"][0]
    assert api.data(f"{M}/orders/{order['id']}") == order
    assert_envelope(api.get(M + "/orders/99999999"), 404)


def test_it_lists_open_positions_and_history(api):
    data = api.data(M + "/positions", limit=100)
    assert data["total"] > 50
    for pos in data["records"]:
        has_fields(pos, POSITION)
        assert pos["status"] == 0 and pos["volume_current"] > 0
        assert re.match(RFC3339, pos["created_at"])
    history = api.data(M + "/positions/history", limit=100)
    assert history["total"] > 1000
    assert {p["status"] for p in history["records"]} == {2}
    pos = history["records"][0]
    assert api.data(f"{M}/positions/{pos['id']}") == pos
    assert_envelope(api.get(M + "/positions/99999999"), 404)


def test_it_filters_positions_by_group_and_symbol(api):
    rows = api.records(M + "/positions", group_id=7)
    accounts = {a["id"] for a in api.records(M + "/accounts", group_id=7)}
    assert rows and {p["account_id"] for p in rows} <= accounts
    rows = api.records(M + "/positions/history", symbol_id=1)
    assert rows and {p["symbol_id"] for p in rows} == {1}


def test_it_lists_deals_at_the_manager_and_the_documented_trader_path(api):
    manager = api.data(M + "/deals", limit=10)
    trader = api.data("/api/v1/trader/deals", limit=10)
    assert manager == trader
    assert manager["total"] > 5000
    for deal in manager["records"]:
        has_fields(deal, DEAL)
    deal = manager["records"][0]
    assert api.data(f"{M}/deals/{deal['id']}") == deal
    assert api.data(f"/api/v1/trader/deals/{deal['id']}") == deal
    assert_envelope(api.get(M + "/deals/99999999"), 404)


def test_it_writes_an_in_and_an_out_deal_for_each_closed_position(api):
    pos = api.data(M + "/positions/history", limit=1)["records"][0]
    deals = [d for d in api.records(M + "/deals", account_id=pos["account_id"])
             if d["position_id"] == pos["id"]]
    assert sorted(d["entry"] for d in deals) == [0, 1]
    exit_deal = next(d for d in deals if d["entry"] == 1)
    assert exit_deal["side"] != pos["side"] and exit_deal["profit"] == pos["profit"]


def test_it_filters_deals_by_account_list_and_time(api):
    rows = api.records(M + "/deals", account_id="5,6")
    assert {d["account_id"] for d in rows} == {5, 6}
    first = min(d["created_at"] for d in rows)
    later = api.records(M + "/deals", account_id="5,6", **{"from": first[:19] + "Z"})
    assert len(later) == len(rows)
    assert api.data(M + "/deals", **{"to": "1999-01-01"})["total"] == 0
    assert "account_id" in field_errors(api.get(M + "/deals", account_id="5;6"))
    rows = api.data(M + "/deals", sort_by="profit", dir="ASC", limit=20)["records"]
    assert [d["profit"] for d in rows] == sorted(d["profit"] for d in rows)


def test_it_dates_no_seeded_history_in_the_future(fresh, api):
    soon = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    newest = [
        api.data(M + "/deals", sort_by="created_at", dir="DESC", limit=1),
        api.data(M + "/orders/history", sort_by="time_done", dir="DESC", limit=1),
        api.data(M + "/positions/history", sort_by="updated_at", dir="DESC", limit=1),
    ]
    stamps = [page["records"][0][field] for page, field in
              zip(newest, ("created_at", "time_done", "updated_at"), strict=True)]
    assert all(stamp[:19] <= soon for stamp in stamps), stamps
