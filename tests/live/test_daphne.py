"""The embedded default in a real daphne: the relay starts with the first socket, and a
stopping server tells browsers to come back (1012) rather than just dropping them.
"""

from __future__ import annotations

import time

import pytest

from tests.live.conftest import BrowserSocket, rows, sign_in, wait_for
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD


def portal_for(simulator, relay: str) -> PortalProcess:
    return PortalProcess(staff={"sam": ("supervisor", [])}, env={
        "REDIS_URL": "", "LIVE_RELAY": relay,
        "OMTRADER_URL": simulator.url, "OMTRADER_WS_URL": simulator.ws_url,
    }).start()


async def test_it_starts_the_relay_with_the_first_socket(simulator):
    portal = portal_for(simulator, "embedded")
    try:
        cookie = sign_in(portal.url, "sam", PASSWORD)
        assert "live relay" not in portal.read_log()  # nothing upstream until someone looks
        sockets_before = simulator.counters()["ws_total"]
        async with BrowserSocket(portal.url, cookie) as socket:
            await socket.until(lambda t: '<tbody id="live-positions">' in t and rows(t),
                               what="a snapshot with rows")
            assert "live relay" in portal.read_log()
            assert simulator.counters()["ws_total"] == sockets_before + 1  # one upstream socket
            async with BrowserSocket(portal.url, cookie) as second:
                await second.until(lambda t: '<tbody id="live-positions">' in t and rows(t),
                                   what="a snapshot for a second tab")
            assert simulator.counters()["ws_total"] == sockets_before + 1  # still one
    finally:
        portal.stop()


@pytest.mark.parametrize("relay", ["embedded", "external"])
async def test_it_closes_sockets_with_service_restart_when_the_server_stops(simulator, relay):
    portal = portal_for(simulator, relay)
    try:
        cookie = sign_in(portal.url, "sam", PASSWORD)
        async with BrowserSocket(portal.url, cookie) as settled:
            if relay == "embedded":
                await settled.until(lambda t: '<tbody id="live-positions">' in t and rows(t),
                                    what="a snapshot with rows")
            else:
                # No relay answers: after RELAY_SILENCE the socket says so (stale, no relay).
                await settled.until(lambda t: 'data-state="stale"' in t and "no relay" in t,
                                    timeout=25, what="the stale status")
            async with BrowserSocket(portal.url, cookie) as fresh:
                await fresh.until(lambda t: "data-state=" in t, what="the status")
                # Within a second of an upgrade, which daphne's own shutdown did not survive
                # (crmportal/live/daphne_close.py).
                portal.process.terminate()  # SIGTERM, as a deploy or a restart sends
                stopped = time.monotonic()
                for socket in (settled, fresh):
                    await wait_for(lambda s=socket: s.closed, 15, "the sockets to close")
                    assert socket.close_code == 1012, (portal.process.wait(10),
                                                       portal.read_log()[-600:])
                assert time.monotonic() - stopped < 10
        assert portal.process.wait(10) == 0
        if relay == "embedded":
            assert "live relay" in portal.read_log() and " stopped" in portal.read_log()
    finally:
        portal.stop()
