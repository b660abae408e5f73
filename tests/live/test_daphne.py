"""The embedded default in a real daphne: the relay starts with the first socket, and a
stopping server tells browsers to come back (1012) rather than just dropping them."""

from __future__ import annotations

import time

import pytest

from tests.live.conftest import BrowserSocket, rows, sign_in, wait_for
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD


@pytest.fixture
def portal(simulator):
    process = PortalProcess(staff={"sam": ("supervisor", [])}, env={
        "REDIS_URL": "", "LIVE_RELAY": "embedded",
        "OMTRADER_URL": simulator.url, "OMTRADER_WS_URL": simulator.ws_url,
    }).start()
    yield process
    process.stop()


async def test_it_starts_the_relay_on_the_first_socket_and_closes_with_1012_on_stop(
        portal, simulator):
    cookie = sign_in(portal.url, "sam", PASSWORD)
    assert "live relay" not in portal.read_log()  # nothing upstream until someone looks
    sockets_before = simulator.counters()["ws_total"]
    socket = BrowserSocket(portal.url, cookie)
    async with socket:
        await socket.until(lambda t: '<tbody id="live-positions">' in t and rows(t),
                           what="a snapshot with rows")
        assert "live relay" in portal.read_log()
        assert simulator.counters()["ws_total"] == sockets_before + 1  # one upstream socket

        portal.process.terminate()  # SIGTERM, as a deploy or restart sends
        stopped = time.monotonic()
        await wait_for(lambda: socket.closed, 15, "the socket to close")
        assert socket.close_code == 1012, portal.read_log()[-2000:]
        assert time.monotonic() - stopped < 10
