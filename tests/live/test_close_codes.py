"""The close codes of an ended socket reach a real client through daphne and Autobahn, which
refuse to send 1008 by themselves (crmportal/live/daphne_close.py)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from crmportal.live.consumers import POLICY_VIOLATION, SIGNED_OUT
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(staff={"gina": ("supervisor", [6])}, env={
        "REDIS_URL": "", "LIVE_RELAY": "embedded",
        "OMTRADER_URL": simulator.url, "OMTRADER_WS_URL": simulator.ws_url,
    }).start()
    yield process
    process.stop()


def signed_in(base_url: str) -> requests.Session:
    session = requests.Session()
    session.get(base_url + "/login/", timeout=10)
    response = session.post(base_url + "/login/", data={
        "username": "gina", "password": PASSWORD,
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, headers={"Referer": base_url + "/login/"}, timeout=10, allow_redirects=False)
    assert response.status_code == 302
    return session


async def opened(portal, session: requests.Session):
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    return await connect(portal.url.replace("http", "ws", 1) + "/ws/live/", proxy=None,
                         additional_headers={"Cookie": cookie, "Origin": portal.url},
                         ping_interval=None, open_timeout=15)


async def closed_with(socket) -> int:
    async def drain():
        with contextlib.suppress(ConnectionClosed):  # raised for any code but 1000 and 1001
            async for _ in socket:
                pass

    await asyncio.wait_for(drain(), 10)
    return socket.close_code


async def test_it_closes_with_policy_violation_on_an_ack_of_nothing(portal, simulator):
    simulator.control(market_paused=True)  # few messages: the acks soon outrun them
    try:
        socket = await opened(portal, signed_in(portal.url))
        await socket.recv()
        for _ in range(20):  # at most 4 messages are ever in flight
            await socket.send("ack")
        assert await closed_with(socket) == POLICY_VIOLATION
    finally:
        simulator.control(market_paused=False)


async def test_it_closes_with_signed_out_when_the_member_signs_out(portal):
    session = signed_in(portal.url)
    socket = await opened(portal, session)
    await socket.recv()
    response = session.post(portal.url + "/logout/", timeout=10, allow_redirects=False,
                            headers={"X-CSRFToken": session.cookies["csrftoken"],
                                     "Referer": portal.url + "/"})
    assert response.status_code == 302
    assert await closed_with(socket) == SIGNED_OUT
