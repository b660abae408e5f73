"""The WebSocket of docs/omtrader-api.md §8: session check, one socket per session, subscriptions,
heartbeat, JSON events, binary frames, and nothing for groups nobody subscribed to."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.simulator.helpers import (
    DEAL,
    ORDER,
    POSITION,
    SUMMARY,
    Api,
    M,
    assert_envelope,
    has_fields,
    wait_for,
)


@contextmanager
def socket(sim, login: dict[str, Any] | None = None):
    login = login or sim.login()
    url = f"{sim.ws_url}/ws/v1?session_id={login['session_id']}" \
          f"&access_token={login['access_token']}"
    with connect(url, open_timeout=5, close_timeout=2) as ws:
        yield ws


def send(ws, type_: str, data: Any) -> None:
    ws.send(json.dumps({"type": type_, "data": data}))


def next_json(ws, timeout: float = 5.0) -> dict[str, Any]:
    while True:
        frame = ws.recv(timeout=timeout)
        if isinstance(frame, str):
            return json.loads(frame)


def drain(ws, quiet: float = 0.3) -> list[str | bytes]:
    """Every frame until the socket stays quiet for `quiet` seconds."""
    frames: list[str | bytes] = []
    while True:
        try:
            frames.append(ws.recv(timeout=quiet))
        except TimeoutError:
            return frames


def subscribe(ws, group_id: int, type_: str = "subscribe_group") -> None:
    send(ws, type_, group_id)
    ack = next_json(ws)
    assert ack["type"] == "info" and ack["data"]["group_id"] == group_id


def test_it_checks_a_session_before_the_socket_opens(sim):
    login = sim.login()
    check = f"{sim.url}/ws/v1/{login['session_id']}"
    assert_envelope(requests.post(check, timeout=5), 200)
    with socket(sim, login):
        body = assert_envelope(requests.post(check, timeout=5), 400)
        assert "session is already used" in body["message"]
    wait_for(lambda: requests.post(check, timeout=5).status_code == 200, what="socket release")
    assert_envelope(requests.post(f"{sim.url}/ws/v1/no-such-session", timeout=5), 401)


def test_it_refuses_a_second_socket_on_one_session(sim):
    login = sim.login()
    with socket(sim, login):
        with pytest.raises(InvalidStatus) as err:
            with socket(sim, login):
                pass
        assert err.value.response.status_code == 400


def test_it_refuses_bad_or_expired_credentials(fresh):
    login = fresh.login()
    with pytest.raises(InvalidStatus) as err:
        with socket(fresh, {**login, "access_token": "wrong"}):
            pass
    assert err.value.response.status_code == 401
    fresh.control(token_lifetime=1)
    short = fresh.login()
    api = Api(fresh.url, short["access_token"])
    wait_for(lambda: api.get(M + "/groups").status_code == 401, what="token expiry")
    with pytest.raises(InvalidStatus) as err:
        with socket(fresh, short):
            pass
    assert err.value.response.status_code == 401


def test_it_answers_the_heartbeat(sim):
    with socket(sim) as ws:
        ws.send("9")
        assert ws.recv(timeout=5) == "10"


def test_it_reports_bad_frames_and_keeps_the_socket_open(sim):
    with socket(sim) as ws:
        ws.send("not json")
        assert next_json(ws)["type"] == "error"
        send(ws, "start_dancing", None)
        assert next_json(ws)["type"] == "error"
        send(ws, "subscribe_group", 99999)
        assert "unknown group" in next_json(ws)["data"]["message"]
        send(ws, "subscribe_group", "six")
        assert next_json(ws)["type"] == "error"
        ws.send("9")
        assert ws.recv(timeout=5) == "10"


def test_it_accepts_a_wrapped_group_id(sim):
    with socket(sim) as ws:
        send(ws, "subscribe_group", {"group_id": 6})
        assert next_json(ws)["data"]["group_id"] == 6


def test_it_streams_events_only_for_subscribed_groups(fresh, api):
    fresh.control(event_rate=40)
    in_group = {a["id"] for a in api.records(M + "/accounts", group_id=6)}
    symbols = {r["symbol_id"] for r in api.records(M + "/groups/6/symbols") if r["enabled"]}
    open_ids = {p["id"] for p in api.records(M + "/positions", group_id=6)}
    with socket(fresh) as ws:
        subscribe(ws, 6)
        fresh.step(20)
        frames = drain(ws)
    events = [json.loads(f) for f in frames if isinstance(f, str)]
    kinds = {e["type"] for e in events}
    assert {"account_summary", "deals_create", "positions_open", "orders_place"} <= kinds
    for event in events:
        data = event["data"]
        if event["type"] == "account_summary":
            has_fields(data, SUMMARY)
            assert data["group_id"] == 6 and data["id"] in in_group
        elif event["type"].startswith(("orders_", "positions_", "deals_")):
            assert data["account_id"] in in_group
        if event["type"] == "positions_open":
            open_ids.add(data["id"])
    shapes = {"orders_place": ORDER, "positions_open": POSITION, "deals_create": DEAL}
    for kind, fields in shapes.items():
        has_fields(next(e["data"] for e in events if e["type"] == kind), fields)
    binary = [f.decode() for f in frames if isinstance(f, bytes)]
    ticks = [b.split(",") for b in binary if not b.startswith("s,")]
    profits = [b.split(",") for b in binary if b.startswith("s,")]
    assert ticks and all(len(t) == 7 and int(t[0]) in symbols for t in ticks)
    assert profits and all(len(p) == 4 and int(p[1]) in open_ids for p in profits)
    assert float(ticks[0][1]) > 0 and isinstance(float(profits[0][2]), float)


def test_it_traces_the_time_of_every_p_l_it_sends(fresh):
    fresh.control(market_paused=True)
    assert requests.post(fresh.url + "/_sim/trace", json={"on": "yes"}, timeout=5
                         ).status_code == 400
    requests.post(fresh.url + "/_sim/trace", json={"on": True}, timeout=5)
    try:
        with socket(fresh) as ws:
            subscribe(ws, 6)
            before = time.time()
            fresh.step(2)
            frames = drain(ws)
        traced = requests.get(fresh.url + "/_sim/trace", timeout=5).json()
    finally:
        requests.post(fresh.url + "/_sim/trace", json={"on": False}, timeout=5)
    sent = [f.decode().split(",") for f in frames if isinstance(f, bytes) and f[:2] == b"s,"]
    assert sent and traced["on"] is True
    assert {(int(s[1]), s[2]) for s in sent} <= {(pid, pl) for _, pid, pl in traced["events"]}
    assert all(before <= t <= time.time() for t, _, _ in traced["events"])
    assert requests.get(fresh.url + "/_sim/trace", timeout=5).json()["events"] == []


def test_it_sends_nothing_for_groups_nobody_subscribed_to(fresh):
    fresh.control(event_rate=40)
    with socket(fresh) as ws:
        subscribe(ws, 1)  # the root holds no accounts and no symbols
        fresh.step(10)
        assert drain(ws) == []
    assert fresh.counters()["events_sent"] == 1  # the subscription's info ack


def test_it_stops_streaming_after_unsubscribe(fresh):
    fresh.control(event_rate=40)
    with socket(fresh) as ws:
        subscribe(ws, 7, "subscribe_group_session")
        fresh.step(3)
        assert drain(ws)
        subscribe(ws, 7, "unsubscribe_group_session")
        fresh.step(5)
        assert drain(ws) == []


def test_it_pushes_raw_frames_for_bad_frame_tests(sim):
    with socket(sim) as ws:
        subscribe(ws, 5)
        assert sim.ws_send(5, "{not json")["sockets"] == 1
        assert ws.recv(timeout=5) == "{not json"
        sim.ws_send(5, json.dumps({"type": "mystery", "data": 1}))
        assert next_json(ws)["type"] == "mystery"


def test_it_drops_every_socket_on_request(sim):
    with socket(sim) as ws:
        ws.send("9")
        assert ws.recv(timeout=5) == "10"
        assert sim.drop_ws()["dropped"] >= 1
        with pytest.raises(ConnectionClosed) as err:
            ws.recv(timeout=5)
        assert err.value.rcvd is not None and err.value.rcvd.code == 1011


def test_it_pushes_session_logout_and_ends_the_session(sim):
    login = sim.login()
    with socket(sim, login) as ws:
        sim.session_logout(login["session_id"])
        event = next_json(ws)
        assert event == {"type": "session_logout", "data": {"session_id": login["session_id"]}}
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert Api(sim.url, login["access_token"]).get(M + "/groups").status_code == 401


def test_it_counts_open_sockets_and_events(sim):
    before = sim.counters()
    with socket(sim) as ws:
        subscribe(ws, 6)
        now = sim.counters()
        assert now["ws_open"] == before["ws_open"] + 1
        assert now["events_sent"] > before["events_sent"]
    wait_for(lambda: sim.counters()["ws_open"] == before["ws_open"], what="socket close")
