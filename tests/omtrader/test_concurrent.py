"""gather(): independent calls together, context copied, every call finished before an error."""

from __future__ import annotations

import threading
import time
import zoneinfo

import pytest
from django.utils import timezone

from crmportal.omtrader.concurrent import gather, gather_each, start
from crmportal.omtrader.errors import NotFound
from crmportal.requestid import current_request_id, new_request_id

pytestmark = pytest.mark.timeout(60)


def test_it_costs_about_one_round_trip_for_independent_calls(sim, omt):
    omt.get_client(1)
    sim.control(latency_ms=200)
    started = time.monotonic()
    got = gather(client=lambda: omt.get_client(2), accounts=lambda: omt.list_accounts(client_id=2),
                 groups=omt.list_groups, order=lambda: omt.list_orders(limit=1),
                 deals=lambda: omt.list_deals(limit=1), symbol=lambda: omt.get_symbol(1))
    elapsed = time.monotonic() - started
    assert got["client"].id == 2 and got["symbol"].symbol == "EURUSD"
    assert 0.2 <= elapsed < 0.2 * 1.5


def test_it_copies_the_request_id_into_the_workers(omt):
    request_id = new_request_id("req-gather-1")
    got = gather(a=current_request_id, b=current_request_id, c=threading.get_ident)
    assert got["a"] == got["b"] == request_id
    assert got["c"] != threading.get_ident()


def test_it_runs_the_calls_in_the_callers_time_zone(omt):
    zone_name = timezone.get_current_timezone_name
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Kiritimati")):
        assert start(zone=zone_name).wait() == {"zone": "Pacific/Kiritimati"}
        assert gather(a=zone_name, b=zone_name) == {"a": "Pacific/Kiritimati",
                                                    "b": "Pacific/Kiritimati"}
    assert start(zone=zone_name).wait() == {"zone": timezone.get_default_timezone_name()}


def test_it_raises_the_first_error_after_every_call_finished(omt):
    finished = threading.Event()

    def slow() -> str:
        time.sleep(0.2)
        finished.set()
        return "done"

    with pytest.raises(NotFound):
        gather(missing=lambda: omt.get_client(99999999), slow=slow,
               boom=lambda: 1 / 0)
    assert finished.is_set()


def test_it_runs_nested_gathers_without_exhausting_the_pool(omt):
    results = gather_each(lambda i: gather(x=lambda: i, y=lambda: i * 2), range(100))
    assert results[7] == {"x": 7, "y": 14} and len(results) == 100


def test_it_lets_the_caller_work_while_the_calls_are_under_way(sim, omt):
    omt.get_client(1)
    sim.control(latency_ms=200)
    started = time.monotonic()
    pending = start(client=lambda: omt.get_client(2), deals=lambda: omt.list_deals(limit=1))
    assert time.monotonic() - started < 0.1  # sent off, not waited for
    time.sleep(0.15)  # the caller's own work, overlapping the round trip
    got = pending.wait()
    assert got["client"].id == 2 and len(got["deals"]) == 1
    assert time.monotonic() - started < 0.2 * 1.5


def test_start_returns_once_each_call_has_begun(omt):
    """The caller's own work must not hold the interpreter lock while a call waits to start:
    its request would leave only after that work."""
    began = threading.Event()

    def call() -> str:
        began.set()
        return "sent"

    pending = start(call=call)
    assert began.is_set()
    assert pending.wait() == {"call": "sent"}
