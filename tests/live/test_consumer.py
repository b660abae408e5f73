"""LiveConsumer through the whole ASGI stack: who may connect, what reaches them, and how.

No relay runs here (LIVE_RELAY=external): the test answers the socket's snapshot request and
publishes updates with the real Publisher, so every message is one the test chose.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from crmportal.audit.models import AuditEntry
from crmportal.live.consumers import MAX_PENDING, POLICY_VIOLATION, WINDOW
from crmportal.live.publish import group_audience
from crmportal.staff.roles import BACK_OFFICE, COMPLIANCE, SUPERVISOR
from tests.live.conftest import LiveSocket, StandIn, session_cookie

# transaction=True: the consumer reads users from its own thread. serialized_rollback keeps
# the roles the data migration created.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]


async def denied_count() -> int:
    return await database_sync_to_async(
        AuditEntry.objects.filter(action="live.refused", outcome="denied").count)()


async def test_it_refuses_an_anonymous_socket_and_audits_it(layer):
    socket = LiveSocket("/ws/live/")
    connected, _ = await socket.connect()
    assert not connected
    assert await denied_count() == 1
    entry = await database_sync_to_async(AuditEntry.objects.get)(action="live.refused")
    assert entry.actor_username == "(anonymous)" and "not signed in" in entry.detail


async def test_it_audits_a_flood_of_anonymous_sockets_from_one_address_once(layer):
    for _ in range(20):
        assert not (await LiveSocket("/ws/live/").connect())[0]
    assert await denied_count() == 1  # the other 19 are counted, recorded when the minute ends


@pytest.mark.parametrize("role", [BACK_OFFICE, COMPLIANCE])
async def test_it_refuses_the_board_to_a_role_without_the_live_board(layer, make_staff, role):
    user = await database_sync_to_async(make_staff)("nolive", role)
    socket = LiveSocket("/ws/live/", await session_cookie(user))
    connected, _ = await socket.connect()
    assert not connected
    entry = await database_sync_to_async(AuditEntry.objects.get)(action="live.refused")
    assert entry.actor_username == "nolive" and "view_live_board" in entry.detail


async def test_it_refuses_a_socket_opened_from_another_site(layer, supervisor):
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor),
                        origin="https://evil.example")
    connected, _ = await socket.connect()
    assert not connected


async def test_it_refuses_a_group_outside_the_members_scope(layer, make_staff):
    user = await database_sync_to_async(make_staff)("gina", SUPERVISOR, [6])
    socket = LiveSocket("/ws/live/?group=7", await session_cookie(user))
    connected, _ = await socket.connect()
    assert not connected
    entry = await database_sync_to_async(AuditEntry.objects.get)(action="live.refused")
    assert "group 7 is outside" in entry.detail


async def test_it_never_delivers_an_event_of_another_group(layer, make_staff):
    user = await database_sync_to_async(make_staff)("gina", SUPERVISOR, [6])
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(user))
    assert (await socket.connect())[0]
    request = await relay.answer()
    assert request["view"] == {"groups": [6], "client": None}
    assert 'data-state="connecting"' in await socket.receive()
    assert 'id="live-positions"' in await socket.receive()

    await relay.row(group_audience(7), "pos-70", '<tr id="pos-70">group 7</tr>')
    await relay.row("live.all", "pos-71", '<tr id="pos-71">every group</tr>')
    await relay.row(group_audience(6), "pos-60", '<tr id="pos-60">group 6</tr>')
    assert await socket.receive() == '<tr id="pos-60">group 6</tr>'
    assert await socket.nothing_for(0.3)
    await socket.close()


async def test_it_sends_the_snapshot_first_and_drops_what_it_already_covers(layer, supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor))
    assert (await socket.connect())[0]
    await relay.row("live.all", "pos-1", "<tr id=\"pos-1\">before the snapshot</tr>")
    snapshot = '<tbody id="live-positions"><tr id="pos-1">snapshot</tr></tbody>'
    await relay.answer(snapshot)
    await relay.row("live.all", "pos-1", '<tr id="pos-1">after</tr>')
    assert 'data-state="connecting"' in await socket.receive()
    assert await socket.receive() == snapshot
    assert await socket.receive() == '<tr id="pos-1">after</tr>'
    await socket.close()


async def test_it_asks_for_a_new_snapshot_when_a_message_went_missing(layer, supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor))
    assert (await socket.connect())[0]
    await relay.answer()
    await socket.until(lambda t: 'id="live-positions"' in t)
    await relay.row("live.all", "pos-1", '<tr id="pos-1">1</tr>')
    relay.publisher.seq["live.all"] += 1  # as if the full channel had dropped one
    await relay.row("live.all", "pos-1", '<tr id="pos-1">3</tr>')
    request = await relay.answer('<tbody id="live-positions">fresh</tbody>')
    assert request["type"] == "live.snapshot.request"
    texts = [await socket.receive() for _ in range(3)]
    assert texts[-1] == '<tbody id="live-positions">fresh</tbody>'
    await socket.close()


async def test_it_keeps_only_the_newest_state_for_a_browser_that_does_not_answer(layer, supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor), ack=False)
    assert (await socket.connect())[0]
    await relay.answer()
    await socket.receive()  # the status and the snapshot: two unanswered messages
    await socket.receive()
    for n in range(1, 30):
        await relay.row("live.all", f"pos-{n % 3}", f'<tr id="pos-{n % 3}">{n}</tr>')
    for _ in range(WINDOW - 2):
        await socket.receive()
    assert await socket.nothing_for(0.3)  # the window is full: the rest waits, merged

    await socket.communicator.send_to(text_data="ack")
    merged = await socket.receive()
    assert merged == '<tr id="pos-0">27</tr><tr id="pos-1">28</tr><tr id="pos-2">29</tr>'
    await socket.close()


async def test_it_sends_a_waiting_row_before_newer_cells_and_drops_older_ones(layer,
                                                                              supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor), ack=False)
    assert (await socket.connect())[0]
    await relay.answer()
    await socket.receive()
    await socket.receive()
    for _ in range(WINDOW - 2):  # fill the window
        await relay.row("live.all", "feed-1", '<tr id="feed-1"></tr>')
        await socket.receive()
    await relay.row("live.all", "cells-1", '<td id="pos-1-pl">old</td>')
    await relay.row("live.all", "pos-1", '<tr id="pos-1"><td id="pos-1-pl">row</td></tr>')
    await relay.row("live.all", "cells-2", '<td id="pos-2-pl">before</td>')
    await relay.row("live.all", "cells-2", '<td id="pos-2-pl">after</td>')
    await relay.row("live.all", "pos-3", '<tr id="pos-3"><td id="pos-3-pl">row</td></tr>')
    await relay.row("live.all", "cells-3", '<td id="pos-3-pl">newer</td>')
    assert await socket.nothing_for(0.3)

    await socket.communicator.send_to(text_data="ack")  # rows first, then cells: one kind each
    assert await socket.receive() == ('<tr id="pos-1"><td id="pos-1-pl">row</td></tr>'
                                      '<tr id="pos-3"><td id="pos-3-pl">row</td></tr>')
    assert await socket.receive() == ('<td id="pos-2-pl">after</td>'
                                      '<td id="pos-3-pl">newer</td>')
    await socket.close()


async def test_it_swaps_a_backlog_for_a_snapshot_when_the_browser_falls_far_behind(
        layer, supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor), ack=False)
    assert (await socket.connect())[0]
    await relay.answer()
    for _ in range(WINDOW - 2):
        await relay.row("live.all", "pos-1", '<tr id="pos-1">x</tr>')
    for _ in range(WINDOW):  # the status, the snapshot and the rows: the window is full
        await socket.receive()
    items = [(f"pos-{n}", f'<tr id="pos-{n}"></tr>') for n in range(MAX_PENDING + 1)]
    await relay.publisher.update("live.all", items)
    request = await relay.answer('<tbody id="live-positions">caught up</tbody>')
    assert request["type"] == "live.snapshot.request"
    await socket.communicator.send_to(text_data="ack")
    assert await socket.receive() == '<tbody id="live-positions">caught up</tbody>'
    await socket.close()


async def test_it_closes_with_service_restart_when_the_server_stops(layer, supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor))
    assert (await socket.connect())[0]
    await relay.answer()
    await socket.until(lambda t: 'id="live-positions"' in t)
    socket.communicator.future.cancel()  # what daphne does to every application at shutdown
    output = await socket.communicator.receive_output(5)
    assert output == {"type": "websocket.close", "code": 1012}


async def test_it_closes_a_socket_that_acknowledges_what_was_never_sent(layer, supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor), ack=False)
    assert (await socket.connect())[0]
    await relay.answer()
    await socket.receive()  # the status and the snapshot
    await socket.receive()
    for _ in range(2):
        await socket.communicator.send_to(text_data="ack")
    await socket.communicator.send_to(text_data="ack")  # one more than was sent
    assert await socket.close_code(timeout=2) == POLICY_VIOLATION


async def test_it_ignores_text_it_does_not_know(layer, supervisor):
    relay = await StandIn(layer).start()
    socket = LiveSocket("/ws/live/", await session_cookie(supervisor))
    assert (await socket.connect())[0]
    await relay.answer()
    await socket.until(lambda t: 'id="live-positions"' in t)
    await socket.communicator.send_to(text_data="hello")
    await relay.row("live.all", "pos-1", '<tr id="pos-1">still here</tr>')
    assert await socket.receive() == '<tr id="pos-1">still here</tr>'
    await socket.close()
