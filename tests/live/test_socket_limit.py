"""At most LIVE_MAX_SOCKETS_PER_MEMBER sockets per member, counted across processes in the
cache; the next is refused before accept and a burst of refusals is audited once."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from crmportal.audit import tally
from crmportal.audit.models import AuditEntry
from crmportal.live import sockets
from tests.live.conftest import LiveSocket, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]


async def open_sockets(cookie: str, count: int) -> list[LiveSocket]:
    opened = [LiveSocket("/ws/live/", cookie) for _ in range(count)]
    for socket in opened:
        assert (await socket.connect())[0]
    return opened


def refusals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="live.refused").order_by("id"))


async def test_it_refuses_the_eleventh_socket_before_accept_and_audits_a_burst_once(
        layer, supervisor):
    cookie = await session_cookie(supervisor)
    opened = await open_sockets(cookie, 10)

    burst = [LiveSocket("/ws/live/", cookie) for _ in range(5)]
    results = await asyncio.gather(*(socket.connect() for socket in burst))
    assert [connected for connected, _ in results] == [False] * 5

    [entry] = await database_sync_to_async(refusals)()
    assert entry.actor_username == "sam" and entry.outcome == "denied"
    assert "10 sockets open already" in entry.detail
    await database_sync_to_async(tally.flush)(timezone.now() + timedelta(minutes=1))
    summary = (await database_sync_to_async(refusals)())[-1]
    assert summary.detail.startswith("4 more refused live sockets from member ")
    for socket in opened:
        await socket.close()


async def test_it_frees_a_place_when_a_socket_closes(layer, supervisor):
    cookie = await session_cookie(supervisor)
    opened = await open_sockets(cookie, 10)
    await opened.pop().close()

    opened += await open_sockets(cookie, 1)
    assert not (await LiveSocket("/ws/live/", cookie).connect())[0]
    for socket in opened:
        await socket.close()


async def test_it_counts_each_member_on_their_own(layer, supervisor, administrator):
    opened = await open_sockets(await session_cookie(supervisor), 10)
    other = LiveSocket("/ws/live/", await session_cookie(administrator))
    assert (await other.connect())[0]
    for socket in [*opened, other]:
        await socket.close()


async def test_it_honours_a_configured_limit(layer, supervisor, settings):
    settings.LIVE_MAX_SOCKETS_PER_MEMBER = 2
    cookie = await session_cookie(supervisor)
    opened = await open_sockets(cookie, 2)
    assert not (await LiveSocket("/ws/live/", cookie).connect())[0]
    for socket in opened:
        await socket.close()


def test_it_lets_no_parallel_burst_past_the_limit(db):
    with ThreadPoolExecutor(max_workers=20) as pool:
        held = list(pool.map(lambda n: sockets.claim(7, f"channel-{n}", 10), range(40)))
    assert sum(1 for places in held if places is not None) == 10
    assert sockets.held(7) == 10


def test_it_forgets_the_sockets_of_a_process_that_died(db):
    now = time.time()
    for n in range(10):
        assert sockets.claim(7, f"channel-{n}", 10, now=now) is not None
    assert sockets.claim(7, "channel-new", 10, now=now + 1) is None
    after_the_lease = now + sockets.lease_seconds() + 1
    assert sockets.claim(7, "channel-new", 10, now=after_the_lease) == 1
