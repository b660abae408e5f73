"""Live tests: the real simulator, a fresh channel layer per test, sockets that answer "ack".

With REDIS_URL set (the scale-out pass) the layer is channels_redis with a prefix of its own,
so parallel runs on the same Redis never see each other's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from crmportal.live import client_reads, publish
from crmportal.live.layers import embedded_layer, redis_layer
from crmportal.live.publish import BROADCAST, RELAY_INBOX, Publisher
from crmportal.live.relay import Relay
from crmportal.live.watches import Watch

ROW = re.compile(r'<tr id="pos-(\d+)" data-live-into="[^"]*" data-group="(\d*)">.*?'
                 r'<td id="pos-\1-pl" class="[^"]*">([^<]*)</td>')
PL = re.compile(r'<td id="pos-(\d+)-pl" class="[^"]*">([^<]*)</td>')
GONE = re.compile(r'<tr id="pos-(\d+)" hx-swap-oob="delete">')
ORIGIN = "http://127.0.0.1"


async def wait_for(condition: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll a condition until it is truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


def rows(html: str) -> dict[int, tuple[str, str]]:
    """Position id -> (P/L, group id) of every whole row in a message."""
    return {int(pid): (pl, group) for pid, group, pl in ROW.findall(html)}


def profits(html: str) -> dict[int, str]:
    """Position id -> P/L of every row or row's moving cells in a message."""
    return {int(pid): pl for pid, pl in PL.findall(html)}


@pytest.fixture
def omtrader(settings, simulator):
    """The service layer pointed at the session's simulator; knobs restored afterwards."""
    settings.OMTRADER_URL = simulator.url
    settings.OMTRADER_WS_URL = simulator.ws_url
    settings.LIVE_HEARTBEAT = 30.0
    yield simulator
    simulator.control(market_paused=False, token_lifetime=3600, error_rate=0.0, event_rate=3.0)


@pytest.fixture
def layer(settings):
    """A channel layer of this test's own (in-memory, or Redis with its own prefix)."""
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        settings.CHANNEL_LAYERS = {"default": redis_layer(redis_url,
                                                          prefix=f"t{uuid.uuid4().hex[:10]}")}
    else:
        settings.CHANNEL_LAYERS = {"default": embedded_layer()}
    return get_channel_layer()


@pytest.fixture(autouse=True)
def cache_of_its_own(settings):
    """Socket leases (crmportal/live/sockets.py) live in the cache and user ids are reused: a
    cache of this test's own (never a flush of a Redis other runs share)."""
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": redis_url,
                                       "KEY_PREFIX": f"t{uuid.uuid4().hex[:10]}"}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": uuid.uuid4().hex}}


@pytest.fixture(autouse=True)
def no_shared_client_reads():
    """A client read one test's panels shared (crmportal/live/client_reads.py) is not the next
    test's."""
    client_reads.forget()
    yield
    client_reads.forget()


@pytest.fixture
def no_embedded_relay(settings):
    settings.LIVE_RELAY = "external"


@contextlib.asynccontextmanager
async def running(relay: Relay):
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)
        # A Redis layer's reads still waiting (BZPOPMIN) would outlive the test's event loop
        # and hang its teardown: close this loop's connections while the loop runs.
        close = getattr(relay.layer, "close_pools", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(close(), 10)


class Tap:
    """Listens on the channel layer like a socket would (the relay's real output)."""

    def __init__(self, layer, streams: list[str]):
        self.layer = layer
        self.streams = [*streams, BROADCAST]
        self.channel = ""
        self.messages: list[dict] = []

    async def start(self) -> Tap:
        self.channel = await self.layer.new_channel()
        for stream in self.streams:
            await self.layer.group_add(stream, self.channel)
        return self

    async def receive(self, timeout: float = 5.0) -> dict:
        message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
        self.messages.append(message)
        return message

    async def until(self, test: Callable[[dict], bool], timeout: float = 15.0,
                    what: str = "a message") -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            try:
                message = await self.receive(left)
            except TimeoutError:
                continue
            if test(message):
                return message

    async def snapshot(self, view: dict, timeout: float = 15.0) -> dict:
        """Ask for a snapshot (again on each resync) until one of a ready relay arrives."""
        await publish.ask_snapshot(self.layer, self.channel, view)
        deadline = time.monotonic() + timeout
        while True:
            message = await self.until(lambda m: m["type"] in ("live.snapshot", "live.resync"),
                                       deadline - time.monotonic(), "a snapshot")
            if message["type"] == "live.resync":
                await publish.ask_snapshot(self.layer, self.channel, view)
                continue
            message["html"] = "".join(message["parts"])
            if "Waiting for the live feed" not in message["html"]:
                return message


class StandIn:
    """Plays the relay's part on the layer: answers snapshot requests, publishes updates."""

    def __init__(self, layer, epoch: str = "e1"):
        self.layer = layer
        self.publisher = Publisher(layer, epoch)
        self.channel = ""

    async def start(self) -> StandIn:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(RELAY_INBOX, self.channel)
        return self

    async def answer(self, html: str = '<tbody id="live-positions"></tbody>') -> dict:
        while True:
            request = await asyncio.wait_for(self.layer.receive(self.channel), 10)
            if request["type"] == "live.snapshot.request":
                streams = Watch.from_message(request["view"]).audiences()
                await self.publisher.snapshot(request["reply_to"], streams, [html])
                return request

    async def row(self, stream: str, key: str, html: str) -> None:
        await self.publisher.update(stream, [(key, html)])


@database_sync_to_async
def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class LiveSocket:
    """A browser's socket through the whole ASGI stack (origin check, session auth)."""

    def __init__(self, path: str, cookie: str = "", origin: str = ORIGIN, ack: bool = True):
        from crmportal.asgi import application

        headers = [(b"origin", origin.encode())]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        self.communicator = WebsocketCommunicator(application, path, headers=headers)
        self.ack = ack
        self.received: list[str] = []

    async def connect(self) -> tuple[bool, Any]:
        return await self.communicator.connect(timeout=10)

    async def receive(self, timeout: float = 5.0) -> str:
        text = await self.communicator.receive_from(timeout)
        self.received.append(text)
        if self.ack:
            await self.communicator.send_to(text_data="ack")
        return text

    async def until(self, test: Callable[[str], bool], timeout: float = 15.0,
                    what: str = "a message") -> str:
        # A receive that times out ends the application (asgiref), so one deadline for all.
        deadline = time.monotonic() + timeout
        while True:
            try:
                text = await self.receive(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                raise AssertionError(f"timed out waiting for {what}") from None
            if test(text):
                return text

    async def drain(self, seconds: float) -> None:
        """Take what arrives within `seconds`; a quiet socket stays open (no receive waits
        long enough to time out, which would end the application)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if await self.communicator.receive_nothing(timeout=left, interval=0.01):
                return
            await self.receive()

    async def close_code(self, timeout: float = 5.0) -> int:
        """Read what the server sends until it closes the socket: the close code."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                output = await self.communicator.receive_output(
                    max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                raise AssertionError(f"still open after {timeout:.0f} s") from None
            if output["type"] == "websocket.close":
                return output.get("code", 1000)
            self.received.append(output.get("text", ""))

    async def nothing_for(self, seconds: float) -> bool:
        return await self.communicator.receive_nothing(seconds)

    async def close(self) -> None:
        await self.communicator.disconnect()


def sign_in(base_url: str, username: str, password: str) -> str:
    """Sign in through the login page; returns the Cookie header a browser would send."""
    import requests

    session = requests.Session()
    session.get(base_url + "/login/", timeout=10)
    response = session.post(base_url + "/login/", data={
        "username": username, "password": password,
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, headers={"Referer": base_url + "/login/"}, timeout=10, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


class BrowserSocket:
    """A real WebSocket to a running portal, answering "ack" like live.js; keeps every text."""

    def __init__(self, base_url: str, cookie: str, path: str = "/ws/live/"):
        self.url = base_url.replace("http", "ws", 1) + path
        self.headers = {"Cookie": cookie, "Origin": base_url}
        self.texts: list[tuple[float, str]] = []
        self.close_code: int | None = None
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> BrowserSocket:
        from websockets.asyncio.client import connect

        self._socket = await connect(self.url, additional_headers=self.headers, proxy=None,
                                     max_size=None, ping_interval=None, open_timeout=15)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for text in self._socket:
                self.texts.append((time.monotonic(), text))
                await self._socket.send("ack")
        except ConnectionClosed:
            pass
        self.close_code = self._socket.close_code

    async def __aexit__(self, *exc: object) -> None:
        await self._socket.close()
        if self._task:
            await asyncio.wait_for(self._task, 10)

    def since(self, moment: float) -> list[str]:
        return [text for at, text in self.texts if at >= moment]

    async def until(self, test: Callable[[str], bool], timeout: float = 20.0,
                    what: str = "a message", since: float = 0.0) -> str:
        found = await wait_for(lambda: next((t for t in self.since(since) if test(t)), None),
                               timeout, what)
        return found

    @property
    def closed(self) -> bool:
        return self._task is not None and self._task.done()
