"""Errors that say what happened: whether a failed call can have reached OMTrader, and what a
403 means, against the real simulator over loopback."""

from __future__ import annotations

import socket

import pytest

from crmportal.omtrader.errors import (
    Forbidden,
    ServerError,
    Timeout,
    Unauthorized,
    Unavailable,
)
from tests.omtrader.conftest import delta

pytestmark = pytest.mark.timeout(60)
CLIENTS = "/api/v1/manager/clients"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_says_a_refused_connection_never_reached_omtrader(sim, point_at):
    omt = point_at(sim, url=f"http://127.0.0.1:{closed_port()}", retries=0)
    with pytest.raises(Unavailable) as caught:
        omt.get_client(1)
    assert type(caught.value) is Unavailable and not caught.value.maybe_applied
    assert caught.value.message.endswith("could not connect")


def test_it_says_a_read_that_timed_out_may_have_reached_omtrader(sim, point_at):
    omt = point_at(sim, read_timeout=0.3)
    omt.get_client(1)
    sim.control(latency_ms=1500)
    with pytest.raises(Timeout) as caught:
        omt.get_client(1)
    assert caught.value.maybe_applied and caught.value.message.endswith("timed out")


def test_it_says_a_write_that_timed_out_may_have_been_applied(sim, point_at):
    omt = point_at(sim, read_timeout=0.3)
    same = {"first_name": omt.get_client(1).first_name}  # applied late, it changes nothing
    sim.control(latency_ms=1500)
    with pytest.raises(Timeout) as caught:
        omt.update_client(1, same)
    assert isinstance(caught.value, Unavailable) and caught.value.maybe_applied


def test_it_says_a_5xx_to_a_write_may_have_been_applied(sim, omt):
    omt.get_client(1)
    sim.fault(method="PUT", path=CLIENTS + "/1", count=1, kind="status", status=500)
    before = sim.counters()
    with pytest.raises(ServerError) as caught:
        omt.update_client(1, {"first_name": omt.get_client(1).first_name})
    assert caught.value.maybe_applied and caught.value.status == 500
    assert delta(before, sim.counters(), "PUT", CLIENTS + "/{id}") == 1


def test_it_retries_a_read_on_500(sim, omt):
    omt.get_client(1)
    sim.fault(method="GET", path=CLIENTS, count=2, kind="status", status=500)
    before = sim.counters()
    assert len(omt.list_clients(limit=3)) == 3
    assert delta(before, sim.counters(), "GET", CLIENTS) == 3


def test_it_keeps_a_403_apart_from_refused_credentials(sim, omt):
    omt.get_client(1)
    sim.fault(method="GET", path=CLIENTS + "/1", count=1, kind="status", status=403)
    before = sim.counters()["logins"]
    with pytest.raises(Forbidden) as caught:
        omt.get_client(1)
    assert not isinstance(caught.value, Unauthorized) and not caught.value.maybe_applied
    assert sim.counters()["logins"] == before  # a new login would not help: none is made
