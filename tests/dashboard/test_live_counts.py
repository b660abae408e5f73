"""The relay publishes the dashboard's counts (accounts at margin call, at stop out) to the
dashboard's own channel groups when they change, per group for a group-limited member, and
never the board's rows there. A real Relay on a layer of the test's own, fed by the simulator
(tests/live/conftest.py)."""

from __future__ import annotations

import asyncio
import re

import pytest

from crmportal.live.publish import dashboard_audience, unpack
from crmportal.live.relay import Relay
from crmportal.live.watches import Watch
from tests.dashboard.conftest import at_margin_call, toward_margin_call
from tests.live.conftest import Tap, running

COUNT = re.compile(r'id="dash-(mc|so)-(all|g\d+)" class="figure" data-count="(\d*)"')

pytestmark = pytest.mark.usefixtures("writes")  # the shocked market is reset afterwards


def counts(html: str) -> dict[str, str]:
    return {f"{kind}-{key}": value for kind, key, value in COUNT.findall(html)}


async def ready_snapshot(tap: Tap, view: dict) -> dict[str, str]:
    while True:
        found = counts((await tap.snapshot(view))["html"])
        if found and all(found.values()):
            return found


async def test_the_counts_change_on_the_dashboard_audience_when_the_market_moves(omtrader,
                                                                               layer):
    omtrader.control(market_paused=True)
    relay = Relay(layer=layer)
    async with running(relay):
        tap = await Tap(layer, [dashboard_audience(None)]).start()
        before = await ready_snapshot(tap, Watch("dashboard", None).to_message())
        assert set(before) == {"mc-all", "so-all"}
        symbol, step = toward_margin_call(omtrader)
        moved = None
        for _ in range(40):  # small steps until some account crosses its group's line
            omtrader.shock(symbol, step)
            try:
                message = await tap.until(
                    lambda m: m["type"] == "live.update" and counts(m["html"]) != before,
                    timeout=2, what="new counts")
            except AssertionError:
                continue
            moved = counts(message["html"])
            break
        assert moved is not None and moved != before
        for message in tap.messages:
            if message["type"] == "live.update":
                assert {key for key, _ in unpack(message)} <= {"dash-all"}  # counts, no rows
        # The figure equals what OMTrader says now, by the risk panel's own lines.
        await asyncio.sleep(1.5)  # the last step's summaries reach the relay
        latest = counts((await tap.snapshot(Watch("dashboard", None).to_message()))["html"])
        assert int(latest["mc-all"]) == at_margin_call(omtrader)


async def test_a_group_limited_dashboard_gets_its_groups_counts_only(omtrader, layer):
    relay = Relay(layer=layer)
    async with running(relay):
        tap = await Tap(layer, [dashboard_audience(6), dashboard_audience(7)]).start()
        found = await ready_snapshot(tap, Watch("dashboard", frozenset({6, 7})).to_message())
        assert set(found) == {"mc-g6", "so-g6", "mc-g7", "so-g7"}
