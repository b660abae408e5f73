"""Knobs, faults, counters, reset and persistence of the simulator."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from tests.simulator.helpers import Api, M, assert_envelope, field_errors
from tests.support.simulator import ROOT, SimulatorProcess


def test_it_answers_health_without_auth(sim):
    assert requests.get(sim.url + "/_sim/health", timeout=5).json() == {"status": "ok"}


def test_it_answers_unknown_routes_with_the_envelope(api):
    body = assert_envelope(api.get("/api/v1/manager/nothing"), 404)
    assert body["error"] == "Not Found"
    assert_envelope(api.call("PATCH", M + "/clients/1"), 405)


def test_it_returns_and_validates_knobs(fresh):
    knobs = fresh.control(latency_ms=5, event_rate=2.5)
    assert (knobs["latency_ms"], knobs["event_rate"]) == (5, 2.5)
    assert set(knobs) == {"latency_ms", "jitter_ms", "error_rate", "error_status",
                          "token_lifetime", "event_rate", "market_paused", "strict_paths"}
    resp = requests.post(fresh.url + "/_sim/control", json={"error_rate": 2, "bogus": 1},
                         timeout=5)
    assert set(field_errors(resp)) == {"error_rate", "bogus"}


def test_it_adds_latency(fresh, api):
    fresh.control(latency_ms=150, jitter_ms=20)
    started = time.monotonic()
    api.get(M + "/groups")
    assert time.monotonic() - started >= 0.15


def test_it_fails_a_share_of_requests_with_the_error_status(fresh, api):
    fresh.control(error_rate=1.0, error_status=503)
    body = assert_envelope(api.get(M + "/groups"), 503)
    assert body["error"] == "Internal Server Error"
    fresh.control(error_rate=0)
    assert_envelope(api.get(M + "/groups"), 200)


def test_it_injects_status_faults_for_the_next_matching_requests(sim, api):
    sim.fault(method="GET", path=M + "/clients/{id}", count=2, kind="status", status=502)
    assert_envelope(api.get(M + "/clients/1"), 502)
    assert_envelope(api.get(M + "/clients/2"), 502)
    assert_envelope(api.get(M + "/clients/3"), 200)


def test_a_status_fault_may_carry_field_errors(fresh, sim, api):
    sim.fault(method="PUT", path=M + "/group/{id}", status=400,
              fields={"margin_call": "too low"})
    body = assert_envelope(api.put(M + "/group/7", {"desc": "x"}), 400)
    assert body["data"]["fields"] == {"margin_call": "too low"}
    assert_envelope(api.put(M + "/group/7", {"desc": "Live Pro"}), 200)


def test_it_injects_malformed_bodies(sim, api):
    sim.fault(method="GET", path=M + "/groups", kind="malformed")
    resp = api.get(M + "/groups")
    assert resp.status_code == 200
    try:
        resp.json()
    except ValueError:
        pass
    else:
        raise AssertionError("the body should not be JSON")
    assert api.get(M + "/groups").json()["success"] is True


def test_it_injects_wrong_types_without_touching_the_state(sim, api):
    sim.fault(method="GET", path=M + "/clients", kind="wrong_type", field="email", value=123)
    records = api.data(M + "/clients", limit=3)["records"]
    assert [r["email"] for r in records] == [123, 123, 123]
    sim.fault(method="GET", path=M + "/clients/1", kind="wrong_type", field="status",
              value="active")
    assert api.data(M + "/clients/1")["status"] == "active"
    assert isinstance(api.data(M + "/clients/1")["status"], int)
    assert isinstance(api.data(M + "/clients", limit=1)["records"][0]["email"], str)


def test_it_counts_requests_by_route_logins_and_connections(fresh):
    login = fresh.login()
    before = fresh.counters()
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {login['access_token']}"
        for cid in (1, 2, 3):
            http.get(f"{fresh.url}{M}/clients/{cid}", timeout=5)
        http.get(f"{fresh.url}{M}/clients", timeout=5)
    after = fresh.counters()
    assert after["requests"]["GET /api/v1/manager/clients/{id}"] == 3
    assert after["requests"]["GET /api/v1/manager/clients"] == 1
    assert after["logins"] == before["logins"] == 1
    assert after["connections"] - before["connections"] == 1  # keep-alive: one connection


def test_it_resets_state_knobs_and_counters(sim, api):
    sim.control(latency_ms=1)
    api.post(M + "/clients", {"first_name": "A", "family_name": "B", "email": "a@b.c"})
    sim.reset()
    assert sim.control()["latency_ms"] == 0
    fresh_api = Api(sim.url, sim.login()["access_token"])
    assert fresh_api.data(M + "/clients", limit=1)["total"] == 500
    assert sim.counters()["requests"] == {"POST /api/v1/oauth2/login": 1,
                                          "GET /api/v1/manager/clients": 1}


def test_it_hides_the_control_api_unless_enabled():
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.strip().rsplit(" ", 1)[1]
        assert requests.get(url + "/_sim/health", timeout=5).status_code == 200
        assert_envelope(requests.post(url + "/_sim/reset", timeout=5), 404)
        assert_envelope(requests.get(url + "/_sim/counters", timeout=5), 404)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_it_persists_state_across_restarts(tmp_path):
    state = tmp_path / "state.json"
    with SimulatorProcess(["--state", str(state), "--market-paused"]) as first:
        api = Api(first.url, first.login()["access_token"])
        client = api.post(M + "/clients", {"first_name": "Kept", "family_name": "Over",
                                           "email": "k@o.io"}).json()["data"]
    assert state.exists()
    with SimulatorProcess(["--state", str(state), "--market-paused"]) as second:
        api = Api(second.url, second.login()["access_token"])
        assert api.data(f"{M}/clients/{client['id']}")["first_name"] == "Kept"
        assert api.data(M + "/clients", limit=1)["total"] == 501
