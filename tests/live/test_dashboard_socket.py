"""The dashboard's socket (/ws/live/?view=dashboard): the live-board right, the member's groups'
dashboard channel groups only, never the board's rows. No relay runs (a stand-in answers)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from crmportal.audit.models import AuditEntry
from crmportal.live.publish import dashboard_audience, group_audience
from crmportal.staff.roles import BACK_OFFICE, SUPERVISOR
from tests.live.conftest import LiveSocket, StandIn, session_cookie

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
