"""docs/omtrader-api.md §5.2 paths: canonical first, the documented fallback on 404, remembered."""

from __future__ import annotations

import pytest

from crmportal.omtrader.errors import NotFound
from tests.omtrader.conftest import delta

pytestmark = pytest.mark.timeout(60)
MANAGER_DEALS = "/api/v1/manager/deals"
TRADER_DEALS = "/api/v1/trader/deals"


def test_it_falls_back_to_trader_deals_once_in_strict_mode(sim, point_at):
    sim.control(strict_paths=True)
    omt = point_at(sim)
    before = sim.counters()
    first = omt.list_deals(limit=5)
    again = omt.list_deals(limit=5, page=2)
    deal = omt.get_deal(first.items[0].id)
    assert len(first) == len(again) == 5 and deal.id == first.items[0].id
    after = sim.counters()
    assert delta(before, after, "GET", MANAGER_DEALS) == 1  # the one wasted call
    assert delta(before, after, "GET", TRADER_DEALS) == 2
    assert delta(before, after, "GET", MANAGER_DEALS + "/{id}") == 1
    assert delta(before, after, "GET", TRADER_DEALS + "/{id}") == 1


def test_it_uses_the_documented_singular_group_path(sim, point_at):
    sim.control(strict_paths=True)
    omt = point_at(sim)
    before = sim.counters()
    assert omt.get_group(4).name == "Demo USD"
    after = sim.counters()
    assert delta(before, after, "GET", "/api/v1/manager/group/{id}") == 1
    assert delta(before, after, "GET", "/api/v1/manager/groups/{id}") == 0


def test_it_tries_the_fallback_when_the_canonical_path_is_missing(sim, point_at):
    omt = point_at(sim, paths={"group": ["/api/v1/manager/teams/{id}",
                                         "api/v1/manager//groups/:id"]})
    before = sim.counters()
    assert omt.get_group(5).name == "Demo EUR"
    assert omt.get_group(6).name == "Live Standard"
    after = sim.counters()
    assert after["requests"].get("GET /api/v1/manager/teams/5") == 1
    assert "GET /api/v1/manager/teams/6" not in after["requests"]
    assert delta(before, after, "GET", "/api/v1/manager/groups/{id}") == 2


def test_it_does_not_remember_a_fallback_for_a_missing_record(sim, point_at):
    sim.control(strict_paths=True)
    omt = point_at(sim)
    deal_id = omt.list_deals(limit=1).items[0].id
    before = sim.counters()
    with pytest.raises(NotFound):
        omt.get_deal(99999999)  # 404 at both paths: proves nothing about either
    omt.get_deal(deal_id)
    omt.get_deal(deal_id)
    after = sim.counters()
    assert delta(before, after, "GET", MANAGER_DEALS + "/{id}") == 2
    assert delta(before, after, "GET", TRADER_DEALS + "/{id}") == 3
