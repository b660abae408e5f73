"""Groups, commissions with tiers, symbols and group symbols (§5.2 #13-23, §6.3-6.5)."""

from __future__ import annotations

from tests.simulator.helpers import (
    COMMISSION,
    GROUP,
    GROUP_SYMBOL,
    SYMBOL,
    TIER,
    M,
    assert_envelope,
    field_errors,
    has_fields,
)

COMMISSION_BODY = {
    "group_id": 6, "symbol_class_id": 1, "name": "FX per lot", "desc": "test", "mode": 0,
    "mode_range": 0, "mode_charge": 0, "mode_entry": 0, "mode_action": 0, "mode_profit": 0,
    "mode_reason": 1,
    "commission_tiers": [
        {"mode": 0, "type": 0, "value": 4.0, "range_from": 0, "range_to": 10, "min": 0,
         "max": 0, "currency": "USD"},
        {"mode": 0, "type": 0, "value": 3.0, "range_from": 10, "range_to": 0, "min": 0,
         "max": 0, "currency": "USD"},
    ],
}


def test_it_lists_the_group_tree(api):
    groups = api.data(M + "/groups")["records"]
    for group in groups:
        has_fields(group, GROUP)
    root = next(g for g in groups if g["root"])
    assert root["parent_id"] == 0
    children = {g["desc"] for g in root["groups"]}
    assert {"Demo", "Live"} <= children
    live = next(g for g in root["groups"] if g["desc"] == "Live")
    assert all(c["parent_id"] == live["id"] for c in live["groups"])
    for group in groups:
        if group["root"]:
            continue
        assert group["margin_stop_out"] < group["margin_call"]


def test_it_serves_a_group_at_the_singular_and_plural_paths(api):
    assert api.data(M + "/group/6")["desc"] == "Live Standard"
    assert api.data(M + "/groups/6")["id"] == 6
    assert_envelope(api.get(M + "/group/999"), 404)


def test_it_serves_only_documented_paths_in_strict_mode(fresh, api):
    fresh.control(strict_paths=True)
    assert_envelope(api.get(M + "/groups/6"), 404)
    assert_envelope(api.get(M + "/deals", limit=1), 404)
    assert_envelope(api.get(M + "/group/6"), 200)
    assert_envelope(api.get("/api/v1/trader/deals", limit=1), 200)


def test_it_updates_a_group(fresh, api):
    resp = api.put(M + "/group/6", {"margin_call": 90, "margin_stop_out": 40.5,
                                    "desc": "Live Std"})
    group = assert_envelope(resp, 200)["data"]
    assert (group["margin_call"], group["margin_stop_out"], group["desc"]) == (90, 40.5,
                                                                               "Live Std")
    errors = field_errors(api.put(M + "/group/6", {"margin_stop_out": 95}))
    assert "margin_stop_out" in errors
    errors = field_errors(api.put(M + "/group/6", {"margin_mode": 5, "full_stop_out": "yes",
                                                   "default_leverage": 0}))
    assert set(errors) == {"margin_mode", "full_stop_out", "default_leverage"}
    assert_envelope(api.put(M + "/group/999", {"desc": "x"}), 404)


def test_it_lists_a_groups_commissions(api):
    rows = api.data(M + "/groups/7/commissions")["records"]
    assert rows
    for row in rows:
        has_fields(row, COMMISSION + ["id"])
        assert row["group_id"] == 7
        for tier in row["commission_tiers"]:
            has_fields(tier, TIER + ["id"])
    assert_envelope(api.get(M + "/groups/999/commissions"), 404)


def test_it_creates_updates_and_deletes_a_commission(api):
    created = assert_envelope(api.post(M + "/commissions", COMMISSION_BODY), 201)["data"]
    assert len(created["commission_tiers"]) == 2
    assert all("id" in t for t in created["commission_tiers"])
    ids = [c["id"] for c in api.data(M + "/groups/6/commissions")["records"]]
    assert created["id"] in ids
    path = f"{M}/commissions/{created['id']}"
    tiers = [{"type": 1, "value": 7.5}]
    updated = assert_envelope(api.put(path, {"name": "Flat", "commission_tiers": tiers}),
                              200)["data"]
    assert updated["name"] == "Flat"
    assert [(t["type"], t["value"]) for t in updated["commission_tiers"]] == [(1, 7.5)]
    assert isinstance(assert_envelope(api.delete(path), 200)["data"], str)
    assert_envelope(api.delete(path), 404)
    assert_envelope(api.put(path, {"name": "x"}), 404)


def test_it_validates_commissions_and_tiers(api):
    body = {**COMMISSION_BODY, "group_id": 999, "mode_entry": 9,
            "commission_tiers": [{"type": 7, "value": "x"}, "nope",
                                 {"type": 0, "value": 1, "range_from": 5, "range_to": 2}]}
    errors = field_errors(api.post(M + "/commissions", body))
    assert {"group_id", "mode_entry"} <= set(errors)
    assert {"commission_tiers[0].type", "commission_tiers[0].value", "commission_tiers[1]",
            "commission_tiers[2].range_to"} <= set(errors)
    assert set(field_errors(api.post(M + "/commissions", {}))) == {"group_id", "name"}


def test_it_lists_and_gets_symbols(api):
    data = api.data(M + "/symbols", limit=100)
    assert data["total"] >= 20
    for symbol in data["records"]:
        has_fields(symbol, SYMBOL)
    classes = {s["symbol_class"]["desc"] for s in data["records"]}
    assert classes == {"Forex", "Metals", "Indices", "Crypto", "Stocks"}
    eurusd = next(s for s in data["records"] if s["symbol"] == "EURUSD")
    assert (eurusd["digits"], eurusd["contract_size"]) == (5, 100000)
    assert api.data(f"{M}/symbols/{eurusd['id']}")["symbol"] == "EURUSD"
    assert_envelope(api.get(M + "/symbols/9999"), 404)


def test_it_lists_and_updates_group_symbols(api):
    rows = api.data(M + "/groups/7/symbols", limit=100)["records"]
    assert len(rows) >= 20
    for row in rows:
        has_fields(row, GROUP_SYMBOL)
        assert row["group_id"] == 7
    row = rows[0]
    commission = api.data(M + "/groups/7/commissions")["records"][0]
    resp = api.put(f"{M}/group-symbols/{row['id']}",
                   {"spread": 3, "swap_long": -1.5, "enabled": False,
                    "commission_id": commission["id"], "group_id": 1})
    updated = assert_envelope(resp, 200)["data"]
    assert (updated["spread"], updated["swap_long"], updated["enabled"]) == (3, -1.5, False)
    assert updated["group_id"] == 7
    other = api.data(M + "/groups/8/commissions")["records"][0]["id"]
    assert "commission_id" in field_errors(api.put(f"{M}/group-symbols/{row['id']}",
                                                   {"commission_id": other}))
    errors = field_errors(api.put(f"{M}/group-symbols/{row['id']}",
                                  {"trade_level": 9, "margin_initial": 0}))
    assert set(errors) == {"trade_level", "margin_initial"}
    assert_envelope(api.put(M + "/group-symbols/99999", {"spread": 1}), 404)
    assert_envelope(api.get(M + "/groups/999/symbols"), 404)
