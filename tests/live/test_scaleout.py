"""The scale-out shape against the real Redis: two daphne processes, the relay as its own process.

Redis must be at 127.0.0.1:6379 (or REDIS_URL): when it is not, these tests fail; they never
skip. Each run uses a Redis database of its own, so parallel runs cannot meet in the lock or
the channel layer.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from crmportal.live.layers import redis_layer
from tests.live.conftest import BrowserSocket, rows, sign_in, wait_for
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.redis

REDIS = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
SNAPSHOT = '<tbody id="live-positions">'


def redis_database() -> str:
    parts = urlsplit(REDIS)
    url = urlunsplit(parts._replace(path=f"/{random.randint(1, 15)}"))
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is needed at {REDIS} for the scale-out tests: {error}")
    return url


async def test_a_socket_or_relay_waits_longer_than_redis_py_s_read_timeout():
    """BZPOPMIN blocks 5 s inside channels_redis; redis-py 8 stopped reading after 5 s by
    default and every idle receive raised TimeoutError (django/channels_redis#422)."""
    layer = RedisChannelLayer(**redis_layer(redis_database(),
                                            prefix=f"t{random.randint(0, 10**9)}")["CONFIG"])
    channel = await layer.new_channel()
    waiting = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(12)  # two full BZPOPMIN waits with nothing to read
    assert not waiting.done(), waiting.exception()
    await layer.send(channel, {"type": "live.watch"})
    assert await asyncio.wait_for(waiting, 10) == {"type": "live.watch"}
    await layer.flush()


@pytest.fixture(scope="module")
def deployment(simulator):
    url = redis_database()
    database = f"sqlite:///{tempfile.mkdtemp(prefix='scaleout-')}/shared.sqlite3"
    env = {"REDIS_URL": url, "LIVE_RELAY": "external",  # the default LIVE_RELAY_LOCK_TTL
           "OMTRADER_URL": simulator.url, "OMTRADER_WS_URL": simulator.ws_url}
    staff = {"sam": ("supervisor", [])}
    portals = [PortalProcess(staff=staff, env=env, database_url=database) for _ in range(2)]
    relays = []
    try:
        for portal in portals:
            portal.start()
        relays.append(portals[0].spawn("relay-1", "relay"))
        relays[0].wait_for_log("relay: lock taken")
        relays.append(portals[0].spawn("relay-2", "relay"))
        relays[1].wait_for_log("another relay holds the lock")
        yield portals, relays
    finally:
        for relay in relays:
            relay.stop()
        for portal in portals:
            portal.stop()
        redis.Redis.from_url(url).flushdb()


def moved_row(sockets: list[BrowserSocket], since: float) -> dict[int, str] | None:
    """P/L cells of position rows (the exact HTML, whole rows or moving cells) that every
    socket received after `since`."""
    found: list[dict[int, str]] = []
    for socket in sockets:
        seen = {}
        for text in socket.since(since):
            if SNAPSHOT in text:
                continue
            for match in re.finditer(r'<td id="pos-(\d+)-pl" class="[^"]*">[^<]*</td>', text):
                seen.setdefault(int(match.group(1)), set()).add(match.group(0))
        found.append(seen)
    common = {pid: rows_a & found[1].get(pid, set()) for pid, rows_a in found[0].items()}
    common = {pid: next(iter(html)) for pid, html in common.items() if html}
    return common or None


async def test_it_gives_browsers_on_both_portals_the_same_event_and_survives_its_relay(
        deployment, simulator):
    portals, relays = deployment
    cookie = sign_in(portals[0].url, "sam", PASSWORD)  # one sign-in: the sessions are shared
    async with BrowserSocket(portals[0].url, cookie) as one, BrowserSocket(
            portals[1].url, cookie) as two:
        for socket in (one, two):
            await socket.until(lambda t: SNAPSHOT in t and rows(t), what="a snapshot with rows")

        simulator.control(market_paused=True)
        started = time.monotonic()
        symbol = "EURUSD"  # held in every trading group of the seed
        simulator.shock(symbol, 2)
        same = await wait_for(lambda: moved_row([one, two], started), 20,
                              "the same row on both portals")
        assert all(f'<td id="pos-{pid}-pl"' in html for pid, html in same.items())

        # The active relay dies without a word (SIGKILL): the waiting one takes the lock over
        # within LIVE_RELAY_LOCK_TTL, as the README promises, and well within 5 s.
        relays[0].stop(kill=True)
        killed = time.monotonic()
        relays[1].wait_for_log("relay: lock taken", timeout=20)
        took = time.monotonic() - killed
        assert took <= settings.LIVE_RELAY_LOCK_TTL + 0.2 and took < 5, took  # 0.2: log polling
        for socket in (one, two):
            await socket.until(lambda t: SNAPSHOT in t and rows(t), since=killed, timeout=20,
                               what="a snapshot from the new relay")
        moment = time.monotonic()
        simulator.shock(symbol, -2)
        await wait_for(lambda: moved_row([one, two], moment), 20,
                       "the same row on both portals from the new relay")
        assert not one.closed and not two.closed
    simulator.control(market_paused=False)
