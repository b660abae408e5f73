"""LiveConsumer: one per browser tab, at /ws/live/.

    /ws/live/              the board: every group the member may see
    /ws/live/?group=6      the board, one group
    /ws/live/?client=12    one client's open positions (the client 360 panel)
    /ws/live/?account=7    one account's money (the account page)
    /ws/live/?view=dashboard   the dashboard's live counts (margin call, stop out)
    /ws/live/?view=positions, ?view=orders   the trading lists' rows (every group in scope);
                           &since=<seconds>: when the page read its rows (below)

Who may connect: a signed-in, active member whose session is current (not idle past
SESSION_IDLE_TIMEOUT) and who holds fewer than LIVE_MAX_SOCKETS_PER_MEMBER sockets (sockets.py);
the board needs staff.view_live_board (Supervisor, Administrator), the trading lists
staff.view_trading; the client panel needs
staff.view_clients and the client visible in the member's scope (scope.client_scope), and
joins only the groups of its accounts in scope. Refusals happen before accept (the handshake
fails) and are audited, repeated ones aggregated per source and minute (audit/tally.py). The
origin is checked by AllowedHostsOriginValidator in asgi.py.

The right to the socket ends with the right to the page: every socket joins its member's
channel group (live.member.<id>). Signing out sends it `live.end` (crmportal/live/signals.py):
each socket shows "Signed out" and closes with 4401, on which the htmx ws extension does not
reconnect. A change to the member (active, role, scope) sends `live.recheck`, and every
LIVE_RECHECK_SECONDS each socket re-checks anyway: it reloads the member and the session from
the database; a member no longer signed in, active or allowed ends the socket the same way; a
changed scope leaves and joins channel groups and replaces the panels with a fresh snapshot.

The socket joins only the channel groups of its view (ids from the member's scope, never from
the query string as given), so an event of another group never reaches it. Then it asks the
relay for a snapshot and sends that first; updates published before the snapshot are covered
by it and dropped, later ones are checked for gaps by their sequence number (a full channel
drops messages silently), and a gap, a new relay or a `live.resync` means a fresh snapshot.

A trading list's page read its rows over REST before the socket existed, and the socket may
drop and come back with the same address: it says when the page read (`since`) and asks for
the changes after it with every snapshot (crmportal/live/lists.py). The page's clock and the
relay's may differ, so it asks from SINCE_MARGIN earlier (a row sent twice does no harm, a
row missed stays wrong); after each list snapshot it asks from the relay's time of that
snapshot (`at`), so a resync does not resend everything. When the page reads its table again
(filters, another page, a reload marker), rows pushed while that read was out reached the
table it replaced: the page says "reread <its new read time>" and the socket asks for the
changes since then (at most every REREAD_EVERY seconds; one that comes sooner waits its turn).

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
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from crmportal.audit import tally
from crmportal.live import publish, render, sockets
from crmportal.live.client_reads import client_with_accounts, shared_client_with_accounts
from crmportal.live.embedded import ensure_embedded_relay
from crmportal.live.publish import BROADCAST, LISTS, member_audience, unpack
from crmportal.live.render import KINDS, Scope, Status, kind_of
from crmportal.live.watches import Watch, since_of
from crmportal.omtrader.errors import NotFound, OMTraderError
from crmportal.staff.scope import client_scope, group_scope, may_see_group
from crmportal.staff.sessions import idle_expired
from crmportal.staff.twofactor import needs_second_factor

log = logging.getLogger("crmportal.live")

WINDOW = 4
MAX_PENDING = 4000
SNAPSHOT_RETRY = 5.0
RELAY_SILENCE = 15.0
WATCH_EVERY = 30.0
REJOIN_EVERY = 600.0
SERVICE_RESTART = 1012
POLICY_VIOLATION = 1008
SIGNED_OUT = 4401  # not a code the htmx ws extension reconnects on (1006, 1011-1013)
FORBIDDEN = 4403
CLOSE_FLUSH = 0.3
SINCE_MARGIN = 1.0  # seconds the web process's clock and the relay's may differ
REREAD_EVERY = 1.0
STATUS_KEY = "live-status"


class Refused(Exception):
    """The member may not have this socket (now): why, the close code and what the page shows."""

    def __init__(self, why: str, code: int = FORBIDDEN, shown: str = "Access ended"):
        super().__init__(why)
        self.code = code
        self.shown = shown


def _signed_out(why: str) -> Refused:
    return Refused(why, SIGNED_OUT, "Signed out")


class LiveConsumer(AsyncWebsocketConsumer):
    accepted = False
    ended = False
    member: int | None = None
    since: float | None = None  # a trading list's: ask for the rows changed after it
    reread_due = False  # a trading list's table was read again: ask from its read

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
            if user is None or not user.is_authenticated:
                raise _signed_out("not signed in")
            user = await _signed_in_member(self._session_key(), user.pk)
            self.view = await self._view_for(user)
            self.since = self._since()
        except Refused as refused:
            await self._refuse(user, str(refused))
            return
        except OMTraderError as error:
            log.warning("live socket refused: OMTrader unavailable (%s)", error.message)
            await self.close()
            return
        limit = settings.LIVE_MAX_SOCKETS_PER_MEMBER
        if await asyncio.to_thread(sockets.claim, user.pk, self.channel_name, limit) is None:
            await self._refuse(user, f"{limit} sockets open already "
                                     f"(LIVE_MAX_SOCKETS_PER_MEMBER)", kind="live.refused.limit")
            return
        self.member = user.pk
        self.audiences = self._audiences_of(self.view)
        self.gone: list[str] = []
        self.rechecking = asyncio.Lock()
        for audience in self.audiences:
            await self.channel_layer.group_add(audience, self.channel_name)
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

    def _since(self) -> float | None:
        """When the page read its rows (a trading list), less the clock margin; None when
        not given or not a number: the socket then gets no missed rows, never an error."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        since = since_of(query.get("since", [""])[-1])
        return None if since is None else since - SINCE_MARGIN

    def _session_key(self) -> str | None:
        return getattr(self.scope.get("session"), "session_key", None)

    async def _view_for(self, user, current: Watch | None = None) -> Watch:
        """What this member may see of what the socket asked for (`current`: when
        re-checking, kept narrowed to the member's scope if OMTrader does not answer)."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        account = _one_id(query, "account")
        client = _one_id(query, "client")
        group = _one_id(query, "group")
        if account is not None:
            kept = await _record_view(user, current, lambda: _account_view(user, account))
            if isinstance(kept, Watch):
                return kept
            if not kept:
                raise Refused(f"account {account} is outside the member's groups")
            return Watch("account", kept, account=account)
        if client is not None:
            kept = await _record_view(user, current, lambda: _client_view(
                user, client, shared=current is not None))
            return kept if isinstance(kept, Watch) else Watch("client", kept, client)
        return await _named_view(user, query.get("view", [""])[-1], group)

    async def _refuse(self, user, why: str, kind: str = "live.refused") -> None:
        await database_sync_to_async(_audit_refusal)(user, self.scope, why, kind)
        await self.close()

    async def disconnect(self, code) -> None:
        ticker = getattr(self, "ticker", None)
        if ticker:
            ticker.cancel()
        for audience in getattr(self, "audiences", ()):
            await self.channel_layer.group_discard(audience, self.channel_name)
        if self.member is not None:
            await asyncio.to_thread(sockets.release, self.member, self.channel_name)

    # -- the member's right to the socket ------------------------------------------------------

    async def live_end(self, message: dict[str, Any]) -> None:
        await self._end(message.get("reason") or "Signed out", SIGNED_OUT, "signed out")

    async def live_recheck(self, message: dict[str, Any]) -> None:
        await self._recheck()

    async def _recheck(self) -> None:
        try:
            await self._recheck_member()
        except Exception:  # noqa: BLE001 - the database is away: the next re-check tries again
            log.exception("live socket of member %s: re-check failed", self.member)

    async def _recheck_member(self) -> None:
        """Reload the member and their session; end the socket or follow a changed scope."""
        if self.ended:
            return
        async with self.rechecking:
            try:
                user = await _signed_in_member(self._session_key(), self.member)
                view = await self._view_for(user, current=self.view)
            except Refused as refused:
                await self._end(refused.shown, refused.code, str(refused))
                return
            await asyncio.to_thread(sockets.renew, self.member, self.channel_name)
            if view != self.view:
                await self._change_view(view)

    def _audiences_of(self, view: Watch) -> list[str]:
        """The channel groups a socket showing `view` joins: its view's, the broadcast and
        the member's own (sign-out, re-check)."""
        return [*view.audiences(), BROADCAST, member_audience(self.member)]

    async def _change_view(self, view: Watch) -> None:
        """Leave the groups no longer allowed, join new ones, and replace the panels: the
        snapshot of the new view, and the aggregate panels of scopes gone removed."""
        audiences = self._audiences_of(view)
        for audience in self.audiences:
            if audience not in audiences:
                await self.channel_layer.group_discard(audience, self.channel_name)
        for audience in audiences:
            if audience not in self.audiences:
                await self.channel_layer.group_add(audience, self.channel_name)
        log.info("live socket of member %s: view %s -> %s", self.member,
                 self.view.to_message(), view.to_message())
        gone = _scope_keys(self.view) - _scope_keys(view)
        self.view, self.audiences = view, audiences
        self.synced = False  # updates wait for the snapshot of the new view
        self.pending = {k: v for k, v in self.pending.items() if k == STATUS_KEY}
        self.snapshot = []
        if gone:
            self.gone.append(render.panels_gone(sorted(gone)))
        await self._ask_snapshot(force=True)
        await self._pump()

    async def _end(self, shown: str, code: int, why: str) -> None:
        """Show why on the page (the status), then close with a code the page does not
        reconnect on."""
        if self.ended:
            return
        self.ended = True
        log.info("live socket of member %s closed: %s", self.member, why)
        ticker = getattr(self, "ticker", None)
        if ticker and ticker is not asyncio.current_task():
            ticker.cancel()
        with suppress(Exception):  # past the window: this is the last message
            await self.send(text_data=render.status(Status("ended", reason=shown)))
        await self.close(code)

    # -- from the browser ----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data and text_data.startswith("reread "):
            await self._reread(text_data.removeprefix("reread "))
            return
        if text_data != "ack":
            return  # nothing else is spoken here
        if self.in_flight == 0:
            # Acknowledging what was never sent would defeat the window (back-pressure).
            log.warning("live socket of member %s: ack with nothing in flight; closing",
                        self.member)
            await self._end("Connection closed", POLICY_VIOLATION, "ack with nothing in flight")
            return
        self.in_flight -= 1
        await self._pump()

    # -- from the relay ------------------------------------------------------------------------

    async def live_update(self, message: dict[str, Any]) -> None:
        if not self.synced:
            return  # the snapshot on its way covers it
        if message["epoch"] != self.epoch:
            await self._ask_snapshot(force=True)  # a new relay: its numbers mean nothing here
            return
        audience, seq = message["audience"], message["seq"]
        if audience not in self.seqs:
            return  # a group this socket left (a narrowed scope), still in the channel
        last = self.seqs.get(audience, 0)
        if seq <= last:
            return
        if seq != last + 1:
            log.info("live socket: %d message(s) of %s lost; resyncing", seq - last - 1, audience)
            await self._ask_snapshot(force=True)
        self.seqs[audience] = seq
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
        if set(message["seqs"]) != set(self.view.audiences()):
            return  # the answer to a request made for a view the socket no longer shows
        self.epoch = message["epoch"]
        self.seqs = dict(message["seqs"])
        self.synced = True
        self.pending.clear()
        self.snapshot = [part for part in message["parts"] if part]
        if self.since is not None and message.get("at") is not None:
            self.since = message["at"]  # rows before it came with this snapshot
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
        while self.in_flight < WINDOW and not self.ended:
            if self.gone:
                await self._send(self.gone.pop(0))
            elif self.snapshot:
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
        if self.ended:
            return  # closing: nothing more goes out
        self.in_flight += 1
        self.sent += 1
        await self.send(text_data=html)

    async def _ask_snapshot(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.asked_at < SNAPSHOT_RETRY:
            return
        self.asked_at = now
        await publish.ask_snapshot(self.channel_layer, self.channel_name, self.view.to_message(),
                                   self.since)

    async def _reread(self, value: str) -> None:
        """A trading list's page read its table again at `value` (its clock)."""
        read_at = since_of(value)
        if self.view.kind not in LISTS or self.since is None or read_at is None:
            return  # not a list socket, or not a time: nothing to do
        self.since = min(read_at, time.time()) - SINCE_MARGIN
        self.reread_due = True
        await self._ask_reread()

    async def _ask_reread(self) -> None:
        if self.reread_due and time.monotonic() - self.asked_at >= REREAD_EVERY:
            self.reread_due = False
            await self._ask_snapshot(force=True)

    async def _tick(self) -> None:
        watched = rejoined = rechecked = time.monotonic()
        while True:
            every = settings.LIVE_RECHECK_SECONDS
            await asyncio.sleep(min(1.0, every))
            now = time.monotonic()
            if now - rechecked >= every:
                rechecked = now
                await self._recheck()
                if self.ended:
                    return
            if not self.synced:
                await self._ask_snapshot()
            await self._ask_reread()
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
                for audience in self.audiences:
                    await self.channel_layer.group_add(audience, self.channel_name)


async def _record_view(user, current: Watch | None, read) -> Watch | frozenset[int]:
    """One account's or client's view as OMTrader says now (read()); when re-checking and
    OMTrader does not answer, the groups the socket had, narrowed to the member's scope."""
    allowed = await _access(user, "staff.view_clients")
    try:
        return await asyncio.to_thread(read)
    except OMTraderError:
        if current is None:
            raise
    return frozenset(g for g in current.groups or () if allowed is None or g in allowed)


async def _named_view(user, named: str, group: int | None) -> Watch:
    """A trading list, the dashboard's counts, or the board (every group in scope, or one)."""
    if named in LISTS:
        return Watch(named, await _access(user, "staff.view_trading"))
    allowed = await _access(user, "staff.view_live_board")
    if named == "dashboard":
        return Watch("dashboard", allowed)
    if group is None:
        return Watch("board", allowed)
    if allowed is not None and group not in allowed:
        raise Refused(f"group {group} is outside the member's groups")
    return Watch("board", frozenset({group}))


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
def _signed_in_member(session_key: str | None, user_id: int | None):
    """The member as the database has them now, if this session still signs them in: the
    same test a page makes (django.contrib.auth.get_user: session present and unexpired,
    password unchanged, user active), plus the idle clock and the second factor (a member
    who must pass one, or has one, gets no socket before the session passed it)."""
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.base import SessionBase

    engine = import_module(settings.SESSION_ENGINE)
    session: SessionBase = engine.SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))
    if not user.is_authenticated or user.pk != user_id:
        raise _signed_out("session ended, or the member is no longer active")
    if idle_expired(session):
        raise _signed_out("session idle past SESSION_IDLE_TIMEOUT")
    if needs_second_factor(user, session):
        raise _signed_out("the session has not passed the second factor")
    return user


@database_sync_to_async
def _access(user, permission: str) -> frozenset[int] | None:
    """The member's group scope (None: every group), or Refused."""
    if user is None or not user.is_authenticated:
        raise _signed_out("not signed in")
    if not user.is_active:
        raise _signed_out("not active")
    if not user.has_perm(permission):
        raise Refused(f"lacks {permission}")
    return group_scope(user).limit


def _client_view(user, client_id: int, *, shared: bool = False) -> Watch:
    """The client panel: visible by the scope rule, joining only its accounts in scope
    (`shared`: a re-check, which may take another panel's recent read of the client)."""
    read = shared_client_with_accounts if shared else client_with_accounts
    try:
        client, accounts = read(client_id)
    except NotFound:
        raise Refused(f"client {client_id} does not exist") from None
    seen = client_scope(user, client, accounts)
    if not seen.visible:
        raise Refused(f"client {client_id} is outside the member's groups")
    groups = {a.group_id for a in seen.accounts if a.group_id is not None}
    return Watch("client", frozenset(groups), client_id)


def _account_view(user, account_id: int) -> Watch:
    """The account page's money: the account's group must be in the member's scope."""
    from crmportal.omtrader.client import get_omtrader

    try:
        account = get_omtrader().get_account(account_id)
    except NotFound:
        raise Refused(f"account {account_id} does not exist") from None
    if account.group_id is None or not may_see_group(user, account.group_id):
        raise Refused(f"account {account_id} is outside the member's groups")
    return Watch("account", frozenset({account.group_id}), account=account_id)


def _scope_keys(view: Watch) -> set[str]:
    """The aggregate panels a view shows (board only), by scope key."""
    if view.kind != "board":
        return set()
    if view.groups is None:
        return {Scope.all().key}
    return {Scope.group(g).key for g in view.groups}


def _audit_refusal(user, scope: dict[str, Any], why: str, kind: str = "live.refused") -> None:
    """Audited, repeated refusals aggregated per member (or address) and minute."""
    address = (scope.get("client") or ("",))[0] or ""
    path = scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")[:200]
    signed_in = user is not None and user.is_authenticated
    tally.count(
        kind,
        f"member {user.pk}" if signed_in else tally.address_of(address),
        what="refused live sockets",
        action="live.refused",
        actor=user if signed_in else None,
        actor_username="(anonymous)",
        entity_type="websocket",
        entity_id=path[:64],
        detail=f"{path}?{query} from {address}: {why}"[:2000],
        ip_address=address,
    )


def _utc_from_monotonic(moment: float):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(seconds=time.monotonic() - moment)
