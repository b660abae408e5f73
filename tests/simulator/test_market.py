"""Market invariants over simulated minutes: the ledger, equity, margin call, stop-out,
pending orders, swaps, and determinism from the seed."""

from __future__ import annotations

import json
from collections import defaultdict

from tests.simulator.helpers import Api, M
from tests.simulator.test_websocket import drain, socket, subscribe

CENT = 0.011


def test_it_keeps_every_balance_equal_to_its_deals(fresh, api):
    fresh.control(event_rate=20)
    fresh.step(620)  # crosses a swap rollover
    deals = api.records(M + "/deals")
    money = defaultdict(lambda: defaultdict(float))
    for d in deals:
        m = money[d["account_id"]]
        if d["side"] == 2:
            m["deposits" if d["profit"] > 0 else "withdrawals"] += abs(d["profit"])
        elif d["side"] in (0, 1):
            m["realized"] += d["profit"]
            m["commissions"] -= d["commission"]  # charges are negative on the wire
            m["swaps"] -= d["swap"]
    assert any(m["commissions"] for m in money.values())
    assert any(m["swaps"] for m in money.values())
    for account in api.records(M + "/accounts"):
        m = money[account["id"]]
        expected = (m["deposits"] - m["withdrawals"] + m["realized"] - m["commissions"]
                    - m["swaps"])
        tolerance = CENT * (1 + len([d for d in deals if d["account_id"] == account["id"]]))
        assert abs(account["balance"] - expected) <= tolerance, account["id"]


def test_it_keeps_equity_equal_to_balance_plus_floating(fresh, api):
    fresh.control(event_rate=20)
    fresh.step(90)
    floating = defaultdict(float)
    for pos in api.records(M + "/positions"):
        floating[pos["account_id"]] += pos["profit"] + pos["swaps"]
        assert abs(pos["total_profit"] - (pos["profit"] + pos["swaps"] + pos["commission"])) \
            <= CENT
    for account in api.records(M + "/accounts"):
        assert abs(account["floating"] - floating[account["id"]]) <= CENT * 20
        assert abs(account["equity"] - (account["balance"] + account["credit"]
                                        + account["floating"])) <= CENT
        assert abs(account["margin_free"] - (account["equity"] - account["margin"])) <= CENT
        if account["margin"]:
            level = account["equity"] / account["margin"] * 100
            assert abs(account["margin_level"] - level) <= 0.02 * max(1, abs(level) / 100)


def _most_exposed_fx_account(api):
    positions = [p for p in api.records(M + "/positions") if p["symbol_id"] <= 9]
    accounts = {a["id"]: a for a in api.records(M + "/accounts")}
    best = max(positions, key=lambda p: accounts[p["account_id"]]["margin"]
               / max(accounts[p["account_id"]]["equity"], 1))
    return best, accounts[best["account_id"]]


def test_it_stops_out_an_account_below_its_groups_level(fresh, api):
    pos, account = _most_exposed_fx_account(api)
    group = api.data(f"{M}/group/{account['group_id']}")
    symbol = api.data(f"{M}/symbols/{pos['symbol_id']}")["symbol"]
    with socket(fresh) as ws:
        subscribe(ws, account["group_id"])
        fresh.shock(symbol, -25 if pos["side"] == 0 else 25)
        frames = drain(ws)
    after = api.data(f"{M}/accounts/{account['id']}")
    still_open = api.records(M + "/positions", account_id=account["id"])
    assert not still_open or after["margin_level"] >= group["margin_stop_out"]
    closed = [p for p in api.records(M + "/positions/history", account_id=account["id"])
              if p["reason"] == 6]
    assert pos["id"] in [p["id"] for p in closed]
    events = [json.loads(f) for f in frames if isinstance(f, str)]
    stop_outs = [e for e in events if e["type"] == "positions_close"
                 and e["data"]["reason"] == 6]
    assert {e["data"]["account_id"] for e in stop_outs} >= {account["id"]}
    deals = [e["data"] for e in events if e["type"] == "deals_create"]
    assert any(d["position_id"] == pos["id"] and d["reason"] == 6 for d in deals)


def test_it_reports_a_margin_call_when_the_level_is_raised(fresh, api):
    exposed = {p["account_id"] for p in api.records(M + "/positions", group_id=7)}
    with socket(fresh) as ws:
        subscribe(ws, 7)
        api.put(M + "/group/7", {"margin_call": 1_000_000, "margin_stop_out": 0})
        events = [json.loads(f) for f in drain(ws) if isinstance(f, str)]
    summaries = [e["data"] for e in events if e["type"] == "account_summary"]
    called = {s["id"] for s in summaries if s["liqudation_status"] == 1}
    assert called == exposed
    infos = [e for e in events if e["type"] == "info" and "margin call" in e["data"]["message"]]
    assert {e["data"]["account_id"] for e in infos} == exposed


def test_it_triggers_and_expires_pending_orders(fresh, api):
    last = api.data(M + "/orders/history", sort_by="id", dir="DESC", limit=1)["records"][0]
    fresh.control(event_rate=10)
    fresh.step(900)
    done = [o for o in api.records(M + "/orders/history")
            if o["id"] > last["id"] and o["type"] in (1, 2, 3, 4)]
    statuses = {o["status"] for o in done}
    assert {3, 6} <= statuses  # filled (triggered) and expired
    filled = [o for o in done if o["status"] == 3]
    assert all(o["position_id"] for o in filled)


def test_it_replays_the_same_market_for_the_same_seed(sim):
    def run() -> list[tuple]:
        sim.reset()
        sim.step(30)
        api = Api(sim.url, sim.login()["access_token"])
        deals = api.data(M + "/deals", sort_by="id", dir="DESC", limit=50)["records"]
        return [(d["account_id"], d["symbol_id"], d["side"], d["volume"], d["price"],
                 d["profit"]) for d in deals]
    try:
        assert run() == run()
    finally:
        sim.reset()
