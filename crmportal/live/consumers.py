"""LiveConsumer: one per browser tab, at /ws/live/.

    /ws/live/              the board: every group the member may see
    /ws/live/?group=6      the board, one group
    /ws/live/?client=12    one client's open positions (the client 360 panel)

Who may connect: the board needs staff.view_live_board (Supervisor, Administrator); the client
panel needs staff.view_clients and at least one of the client's accounts in the member's group
scope. Refusals happen before accept (the handshake fails) and are audited. The origin is
checked by AllowedHostsOriginValidator in asgi.py.

The socket joins only the channel groups of its view (ids from the member's scope, never from
the query string as given), so an event of another group never reaches it. Then it asks the
relay for a snapshot and sends that first; updates published before the snapshot are covered
by it and dropped, later ones are checked for gaps by their sequence number (a full channel
drops messages silently), and a gap, a new relay or a `live.resync` means a fresh snapshot.

Back-pressure: the browser (static/js/live.js) answers every message with "ack". At most
WINDOW messages are unanswered; meanwhile updates wait in `pending`, one entry per element id
(a newer row replaces the older), so a slow browser costs a bounded map, never a backlog, and
never slows the relay or the other sockets. Past MAX_PENDING entries it is dropped and the
browser gets a snapshot when it catches up.

When the server shuts down the socket is closed with 1012 (service restart), one of the codes
on which the htmx ws extension reconnects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.live import publish, render
from crmportal.live.publish import BROADCAST, unpack
from crmportal.live.relay import View, ensure_embedded_relay
from crmportal.live.render import KINDS, Status, kind_of
from crmportal.omtrader.errors import OMTraderError
from crmportal.staff.scope import allowed_group_ids

log = logging.getLogger("crmportal.live")

WINDOW = 4
MAX_PENDING = 4000
SNAPSHOT_RETRY = 5.0
RELAY_SILENCE = 15.0
WATCH_EVERY = 30.0
REJOIN_EVERY = 600.0
SERVICE_RESTART = 1012
CLOSE_FLUSH = 0.3
STATUS_KEY = "live-status"


class Refused(Exception):
    pass


class LiveConsumer(AsyncWebsocketConsumer):
    accepted = False

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except asyncio.CancelledError:
            # The server is shutting down (daphne cancels every application): tell the
            # browser to come back (1012) instead of letting the TCP connection just drop.
            # Daphne waits for its applications before Twisted drops every connection
            # unflushed, so a moment here lets the close frame reach the wire.
            # (daphne_close.py lets daphne send 1012 at all.)
            if self.accepted:
                with suppress(Exception):
                    await self.base_send({"type": "websocket.close", "code": SERVICE_RESTART})
                    await asyncio.sleep(CLOSE_FLUSH)
            raise

    async def dispatch(self, message):
        # Channels closes stale database connections before every message, a hop through the
        # one sync thread shared by all consumers: at hundreds of messages per second that is
        # queueing for nothing. Handlers here touch the database only through
        # database_sync_to_async (connect), which does that itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # -- connecting --------------------------------------------------------------------------

    async def connect(self) -> None:
        user = self.scope.get("user")
        try:
            self.view = await self._view_for(user)
        except Refused as refused:
            await self._refuse(user, str(refused))
            return
        except OMTraderError as error:
            log.warning("live socket refused: OMTrader unavailable (%s)", error.message)
            await self.close()
            return
        self.streams = [*self.view.streams(), BROADCAST]
        for stream in self.streams:
            await self.channel_layer.group_add(stream, self.channel_name)
        ensure_embedded_relay()
        self.pending: dict[str, str] = {}
        self.snapshot: list[str] = []
        self.in_flight = 0
        self.seqs: dict[str, int] = {}
        self.epoch: str | None = None
        self.synced = False
        self.asked_at = 0.0
        self.relay_heard = time.monotonic()
        self.relay_silent = False
        self.sent = 0
        await self.accept()
        self.accepted = True
        self.pending[STATUS_KEY] = render.status(Status("connecting"))  # until the snapshot
        await self._pump()
        await self._ask_snapshot()
        self.ticker = asyncio.create_task(self._tick())

    async def _view_for(self, user) -> View:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        client = _one_id(query, "client")
        group = _one_id(query, "group")
        if client is not None:
            allowed = await _access(user, "staff.view_clients")
            groups = await asyncio.to_thread(_client_groups, client)
            if allowed is not None:
                groups &= allowed
                if not groups:
                    raise Refused(f"client {client} has no account in the member's groups")
            return View("client", frozenset(groups), client)
        allowed = await _access(user, "staff.view_live_board")
        if group is not None:
            if allowed is not None and group not in allowed:
                raise Refused(f"group {group} is outside the member's groups")
            return View("board", frozenset({group}))
        return View("board", allowed)

    async def _refuse(self, user, why: str) -> None:
        await database_sync_to_async(_audit_refusal)(user, self.scope, why)
        await self.close()

    async def disconnect(self, code) -> None:
        ticker = getattr(self, "ticker", None)
        if ticker:
            ticker.cancel()
        for stream in getattr(self, "streams", ()):
            await self.channel_layer.group_discard(stream, self.channel_name)

    # -- from the browser ----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data == "ack":
            self.in_flight = max(0, self.in_flight - 1)
            await self._pump()

    # -- from the relay ------------------------------------------------------------------------

    async def live_update(self, message: dict[str, Any]) -> None:
        if not self.synced:
            return  # the snapshot on its way covers it
        if message["epoch"] != self.epoch:
            await self._ask_snapshot(force=True)  # a new relay: its numbers mean nothing here
            return
        stream, seq = message["stream"], message["seq"]
        last = self.seqs.get(stream, 0)
        if seq <= last:
            return
        if seq != last + 1:
            log.info("live socket: %d message(s) of %s lost; resyncing", seq - last - 1, stream)
            await self._ask_snapshot(force=True)
        self.seqs[stream] = seq
        pending = self.pending
        if (not pending and self.in_flight < WINDOW and not self.snapshot
                and message["kind"] != "mixed"):
            await self._send(message["html"])  # the usual case: pass the batch on as is
            return
        for key, html in unpack(message):
            pending.pop(key, None)  # re-inserted last: the newest of a row goes out last
            pending[key] = html
            if key.startswith("pos-"):
                pending.pop("cells-" + key[4:], None)  # older than the whole row
        if len(pending) > MAX_PENDING:
            # This browser fell behind: forget the backlog, send a snapshot when it catches up.
            pending.clear()
            self.synced = False
            await self._ask_snapshot(force=True)
        await self._pump()

    async def live_snapshot(self, message: dict[str, Any]) -> None:
        self.epoch = message["epoch"]
        self.seqs = dict(message["seqs"])
        self.synced = True
        self.pending.clear()
        self.snapshot = [part for part in message["parts"] if part]
        self.relay_heard = time.monotonic()
        self.relay_silent = False
        await self._pump()

    async def live_status(self, message: dict[str, Any]) -> None:
        self.relay_heard = time.monotonic()
        self.relay_silent = False
        if self.synced and message["epoch"] != self.epoch:
            await self._ask_snapshot(force=True)
        self.pending[STATUS_KEY] = message["html"]
        await self._pump()

    async def live_resync(self, message: dict[str, Any]) -> None:
        self.relay_heard = time.monotonic()
        await self._ask_snapshot(force=True)

    # -- sending -----------------------------------------------------------------------------

    async def _pump(self) -> None:
        """Send what waits, snapshot first, one kind of fragment per message (render.kind_of)."""
        while self.in_flight < WINDOW:
            if self.snapshot:
                await self._send(self.snapshot.pop(0))
            elif self.synced and self.pending:
                by_kind: dict[str, list[str]] = {}
                for key, html in self.pending.items():
                    by_kind.setdefault(kind_of(key), []).append(html)
                self.pending.clear()
                for kind in KINDS:
                    if kind in by_kind:
                        await self._send("".join(by_kind[kind]))
            elif STATUS_KEY in self.pending:
                await self._send(self.pending.pop(STATUS_KEY))
            else:
                return

    async def _send(self, html: str) -> None:
        self.in_flight += 1
        self.sent += 1
        await self.send(text_data=html)

    async def _ask_snapshot(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.asked_at < SNAPSHOT_RETRY:
            return
        self.asked_at = now
        await publish.ask_snapshot(self.channel_layer, self.channel_name, self.view.to_message())

    async def _tick(self) -> None:
        watched = rejoined = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            if not self.synced:
                await self._ask_snapshot()
            if now - self.relay_heard > RELAY_SILENCE and not self.relay_silent:
                self.relay_silent = True
                since = Status("stale", _utc_from_monotonic(self.relay_heard), "no relay")
                self.pending[STATUS_KEY] = render.status(since)
                await self._pump()
            if now - watched > WATCH_EVERY:
                watched = now
                await publish.watch(self.channel_layer, self.view.to_message())
            if now - rejoined > REJOIN_EVERY:
                rejoined = now  # group memberships expire in the channel layer
                for stream in self.streams:
                    await self.channel_layer.group_add(stream, self.channel_name)


def _one_id(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    if not values or values[-1] == "":
        return None
    try:
        value = int(values[-1])
    except ValueError:
        raise Refused(f"{name} is not an id") from None
    if value < 0:
        raise Refused(f"{name} is not an id")
    return value


@database_sync_to_async
def _access(user, permission: str) -> frozenset[int] | None:
    """The member's group scope (None: every group), or Refused."""
    if user is None or not user.is_authenticated:
        raise Refused("not signed in")
    if not user.is_active or not user.has_perm(permission):
        raise Refused(f"lacks {permission}")
    return allowed_group_ids(user)


def _client_groups(client_id: int) -> set[int]:
    from crmportal.omtrader.client import get_client

    omt = get_client()
    accounts = omt.iter_all(omt.list_accounts, client_id=client_id)
    return {a.group_id for a in accounts if a.group_id is not None}


def _audit_refusal(user, scope: dict[str, Any], why: str) -> None:
    client = scope.get("client") or ("", "")
    path = scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")[:200]
    signed_in = user is not None and user.is_authenticated
    record(
        "live.refused",
        actor=user if signed_in else None,
        actor_username="" if signed_in else "(anonymous)",
        entity_type="websocket",
        entity_id=path[:64],
        outcome=AuditEntry.Outcome.DENIED,
        detail=f"{path}?{query} from {client[0]}: {why}"[:2000],
    )


def _utc_from_monotonic(moment: float):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(seconds=time.monotonic() - moment)
