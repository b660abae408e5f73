"""The dashboard's live side: its socket (/ws/live/?view=dashboard) needs the live-board right
and joins the member's groups' dashboard channel groups only, never the board's rows (a
stand-in answers for the relay); the relay samples P/L per group and notes its status."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from crmportal.audit.models import AuditEntry
from crmportal.dashboard import sampler
from crmportal.dashboard.models import ProfitSample
from crmportal.live.publish import dashboard_audience, group_audience
from crmportal.live.relay import Relay
from crmportal.staff.roles import BACK_OFFICE, SUPERVISOR
from tests.live.conftest import LiveSocket, StandIn, running, session_cookie, wait_for

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]

PATH = "/ws/live/?view=dashboard"


async def test_it_refuses_the_dashboard_counts_to_a_role_without_the_live_board(layer,
                                                                               make_staff):
    user = await database_sync_to_async(make_staff)("nolive", BACK_OFFICE)
    connected, _ = await LiveSocket(PATH, await session_cookie(user)).connect()
    assert not connected
    entry = await database_sync_to_async(AuditEntry.objects.get)(action="live.refused")
    assert "view_live_board" in entry.detail


async def test_it_delivers_the_member_s_groups_counts_and_nothing_else(layer, make_staff):
    user = await database_sync_to_async(make_staff)("gina", SUPERVISOR, [6])
    relay = await StandIn(layer).start()
    socket = LiveSocket(PATH, await session_cookie(user))
    assert (await socket.connect())[0]
    request = await relay.answer('<a id="dash-mc-g6" data-count="1">1</a>')
    assert request["view"] == {"groups": [6], "client": None, "kind": "dashboard"}
    assert 'data-state="connecting"' in await socket.receive()
    assert await socket.receive() == '<a id="dash-mc-g6" data-count="1">1</a>'

    await relay.row(group_audience(6), "pos-60", '<tr id="pos-60">a board row</tr>')
    await relay.row(dashboard_audience(7), "dash-g7", '<a id="dash-mc-g7">9</a>')
    await relay.row(dashboard_audience(None), "dash-all", '<a id="dash-mc-all">9</a>')
    await relay.row(dashboard_audience(6), "dash-g6", '<a id="dash-mc-g6">2</a>')
    assert await socket.receive() == '<a id="dash-mc-g6">2</a>'
    assert await socket.nothing_for(0.3)
    await socket.close()


async def test_the_relay_samples_p_and_l_per_group_and_notes_its_status(omtrader, layer,
                                                                       settings):
    settings.DASHBOARD_PL_SAMPLE_SECONDS = 1.0
    relay = Relay(layer=layer)
    async with running(relay):
        await wait_for(lambda: relay.ready, what="the relay to reconcile")
        for _ in range(100):
            if await database_sync_to_async(ProfitSample.objects.exists)():
                break
            await asyncio.sleep(0.1)
        noted = await database_sync_to_async(sampler.relay_status)()
        expected = {row.group_id for row in relay.state.positions.values() if row.group_id}
    assert noted is not None and noted["state"] == "live" and not noted["silent"]
    groups = await database_sync_to_async(
        lambda: set(ProfitSample.objects.values_list("group_id", flat=True)))()
    assert groups == expected
