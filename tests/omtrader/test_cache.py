"""Groups and symbols come from the cache until a write or a live event invalidates them."""

from __future__ import annotations

import pytest

from crmportal.omtrader.client import OMTraderClient
from tests.omtrader.conftest import delta

pytestmark = pytest.mark.timeout(60)
GROUPS, SYMBOLS = "/api/v1/manager/groups", "/api/v1/manager/symbols"


def test_it_serves_groups_and_symbols_from_the_cache(sim, omt):
    before = sim.counters()
    for _ in range(5):
        assert len(omt.groups_cached()) >= 10
        assert omt.symbols_by_id()[1].symbol == "EURUSD"
    after = sim.counters()
    assert delta(before, after, "GET", GROUPS) == 1
    assert delta(before, after, "GET", SYMBOLS) == 1


def test_it_refetches_groups_after_a_write_through_the_portal(sim, omt):
    desc = omt.get_group(6).desc
    omt.groups_cached()
    try:
        omt.update_group(6, {"desc": "Live Standard (renamed)"})
        names = {g.id: g.name for g in omt.groups_cached()}
        assert names[6] == "Live Standard (renamed)"
    finally:
        omt.update_group(6, {"desc": desc})
    assert {g.id: g.name for g in omt.groups_cached()}[6] == desc


def test_it_refetches_what_a_live_event_invalidated(sim, omt):
    omt.groups_cached()
    omt.symbols_cached()
    before = sim.counters()
    omt.invalidate_reference("symbols")
    omt.groups_cached()
    omt.symbols_cached()
    omt.invalidate_reference()
    omt.groups_cached()
    after = sim.counters()
    assert delta(before, after, "GET", GROUPS) == 1
    assert delta(before, after, "GET", SYMBOLS) == 1
    with pytest.raises(ValueError):
        omt.invalidate_reference("planets")


def test_it_does_not_cache_with_a_zero_ttl(sim, point_at):
    omt = point_at(sim, cache_ttl=0)
    before = sim.counters()
    omt.groups_cached()
    omt.groups_cached()
    assert delta(before, sim.counters(), "GET", GROUPS) == 2


def test_it_sees_another_processs_change_at_once_though_it_keeps_its_own_copy(sim, omt):
    """Each process keeps the groups it read; a write or an invalidation made by another
    process (here: a second client over the same shared cache) reaches it at its next read."""
    other = OMTraderClient(omt.config)
    try:
        desc = omt.get_group(6).desc
        assert {g.id: g.name for g in omt.groups_cached()}[6] == desc
        before = sim.counters()
        other.update_group(6, {"desc": "Renamed elsewhere"})
        assert {g.id: g.name for g in omt.groups_cached()}[6] == "Renamed elsewhere"
        omt.groups_cached()
        assert delta(before, sim.counters(), "GET", GROUPS) == 1  # one process refetched
        other.invalidate_reference("groups")
        omt.groups_cached()
        assert delta(before, sim.counters(), "GET", GROUPS) == 2
    finally:
        other.update_group(6, {"desc": desc})
        other.close()


def test_it_hands_out_a_list_a_caller_may_change(omt):
    omt.groups_cached().clear()
    assert omt.groups_cached()
