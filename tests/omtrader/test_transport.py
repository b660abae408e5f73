"""Timeouts, retries, keep-alive and unreadable answers, against real simulator processes."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from crmportal.omtrader.errors import BadResponse, Unavailable
from crmportal.requestid import new_request_id
from tests.omtrader.conftest import delta
from tests.support.simulator import SimulatorProcess

pytestmark = pytest.mark.timeout(60)
CLIENTS = "/api/v1/manager/clients"


def test_it_raises_unavailable_quickly_when_the_simulator_stops(point_at):
    own = SimulatorProcess().start()
    try:
        omt = point_at(own)
        omt.get_client(1)  # a pooled keep-alive connection to a process about to go away
    finally:
        own.stop()
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        omt.get_client(1)
    assert time.monotonic() - started < omt.config.connect_timeout
    assert "did not answer GET /api/v1/manager/clients/1" in caught.value.message


def test_it_gives_up_on_a_slow_answer_at_the_read_timeout_without_retrying(sim, point_at):
    omt = point_at(sim, read_timeout=0.3)
    omt.get_client(1)
    sim.control(latency_ms=1500)
    before = sim.counters()
    started = time.monotonic()
    with pytest.raises(Unavailable, match="timed out"):
        omt.get_client(1)
    assert time.monotonic() - started < 0.6
    assert delta(before, sim.counters(), "GET", CLIENTS + "/{id}") == 1


def test_it_retries_a_get_on_503_and_succeeds(sim, omt):
    omt.get_client(1)
    sim.fault(method="GET", path=CLIENTS, count=2, kind="status", status=503)
    before = sim.counters()
    page = omt.list_clients(limit=3)
    assert len(page) == 3
    assert delta(before, sim.counters(), "GET", CLIENTS) == 3


def test_it_gives_up_after_the_configured_retries(sim, omt):
    omt.get_client(1)
    attempts = 1 + omt.config.retries
    sim.fault(method="GET", path=CLIENTS, count=attempts, kind="status", status=502)
    before = sim.counters()
    with pytest.raises(Unavailable) as caught:
        omt.list_clients()
    assert caught.value.status == 502
    assert delta(before, sim.counters(), "GET", CLIENTS) == attempts


def test_it_never_retries_a_write(sim, omt):
    omt.get_client(1)
    sim.fault(method="POST", path=CLIENTS, count=1, kind="status", status=503)
    before = sim.counters()
    with pytest.raises(Unavailable) as caught:
        omt.create_client({"first_name": "Once", "family_name": "Only", "email": "o@example.com"})
    assert caught.value.status == 503
    assert delta(before, sim.counters(), "POST", CLIENTS) == 1


def test_it_reports_malformed_json_clearly(sim, omt):
    omt.get_client(1)
    sim.fault(method="GET", path=CLIENTS, count=1, kind="malformed")
    with pytest.raises(BadResponse) as caught:
        omt.list_clients()
    assert caught.value.message == (
        "OMTrader answered GET /api/v1/manager/clients with something that is not JSON (HTTP 200)"
    )


def test_it_names_entity_and_field_when_a_type_is_wrong(sim, omt):
    omt.get_client(1)
    sim.fault(method="GET", path="/api/v1/manager/accounts/{id}", count=1, kind="wrong_type",
              field="balance", value="a lot")
    with pytest.raises(BadResponse) as caught:
        omt.get_account(1)
    assert caught.value.message == (
        "OMTrader sent an unexpected TradingAccount.balance: expected a number, got str"
    )
    sim.fault(method="GET", path=CLIENTS, count=1, kind="wrong_type", field="kyc_status",
              value=[1])
    with pytest.raises(BadResponse, match=r"Client\[0\]\.kyc_status"):
        omt.list_clients(limit=2)


def test_it_reuses_connections_across_fresh_threads(sim, omt):
    omt.get_client(1)
    before = sim.counters()["connections"]

    def one_request_per_thread() -> None:  # as daphne does: every sync view in a new thread
        omt.get_client(1)

    for _ in range(100):
        thread = threading.Thread(target=one_request_per_thread)
        thread.start()
        thread.join()
    assert sim.counters()["connections"] - before <= 1


def test_it_logs_each_call_with_status_duration_and_request_id(sim, omt, caplog):
    caplog.set_level(logging.DEBUG, logger="crmportal.omtrader")
    request_id = new_request_id("req-12345678")
    omt.get_client(1)
    line = [r.getMessage() for r in caplog.records if "/clients/1" in r.getMessage()][-1]
    assert line.startswith("omtrader GET /api/v1/manager/clients/1 -> 200 in ")
    assert line.endswith(f" ms request_id={request_id}")


def test_it_reads_the_proxy_settings_once_when_it_is_built(sim, point_at, monkeypatch):
    """requests would walk os.environ for proxies and read ~/.netrc on every call."""
    omt = point_at(sim)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # too late: not read per call
    try:
        assert omt.get_client(1).id == 1
        omt = point_at(sim)  # built with it: every call goes to that (dead) proxy
        with pytest.raises(Unavailable):
            omt.get_client(1)
    finally:
        monkeypatch.delenv("HTTP_PROXY")  # before the fixtures talk to the simulator again
