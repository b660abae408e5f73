"""The relay: one per deployment, between OMTrader's event stream and the browsers' sockets.

    relay = Relay()               # LIVE_SOURCE: ws (the WebSocket) or poll (REST diffing)
    await relay.run()             # until cancelled

- A source feeds it typed events (crmportal.omtrader.stream, or sources.PollSource). After
  every (re)connect of the WebSocket the relay reads the open positions and every account over
  REST and reconciles (events arriving meanwhile are held and replayed on top), so the board
  is never silently stale.
- Events are applied to BoardState at once. Every FLUSH_INTERVAL the flush renders what
  changed ONCE - position rows (coalesced per row by RowLimiter), closed rows, feed items, and
  at most every PANEL_INTERVAL the aggregate panels of the scopes someone watches - and hands
  each channel group its batch through the Publisher (publish.py), the one place that sends.
- Sockets ask for a snapshot through the relay's inbox (`live.relay`); asking also registers
  what they watch (renewed by `live.watch`), so nothing is rendered while nobody looks.
- Status (live / stale since) goes to every socket on change and every STATUS_INTERVAL, which
  also tells sockets the relay is alive.

Embedded (LIVE_RELAY=embedded): `ensure_embedded_relay()` starts it as a task in the daphne
process on first need. External: `manage.py relay` runs it behind a Redis lock (lock.py).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from crmportal.audit import tally
from crmportal.live import render
from crmportal.live.coalesce import RowLimiter
from crmportal.live.publish import ALL, RELAY_INBOX, Publisher, client_stream, group_stream
from crmportal.live.render import Scope, Status
from crmportal.live.state import BoardState, LivePosition
from crmportal.omtrader.errors import OMTraderError
from crmportal.omtrader.stream import Event, EventStream, StreamInfo

log = logging.getLogger("crmportal.live")

FLUSH_INTERVAL = 0.025  # at the latest, for rows the coalescer held back
FLUSH_QUIET = 0.003  # a burst of events is over when none came for this long ...
FLUSH_HOLD = 0.05  # ... or this long after it began
CHUNK = 400  # rows per published batch: a market step's rows go out together
PANEL_INTERVAL = 1.0
STATUS_INTERVAL = 5.0
WATCH_TTL = 75.0
ROW_BUDGET = 1500  # rows rendered in one flush at most; the rest wait for the next
FEED_PER_FLUSH = 30
SETTLE_SLICE = 40  # account summaries parsed between two turns of the event loop
PANELS = ("risk", "exposure")
FEED_SNAPSHOT = 50
BUFFER_LIMIT = 500_000
STATS_EVERY = 15.0
TALLY_EVERY = 60.0  # aggregated refusals of finished minutes go to the audit log this often
REFERENCE_EVERY = 60.0  # unknown groups or symbols reload the reference data at most this often


@dataclass
class Counters:
    events: int = 0
    reconciles: int = 0
    flushes: int = 0
    rows_rendered: int = 0
    snapshots: int = 0
    resolved_accounts: int = 0
    reference_reloads: int = 0
    started_at: float = field(default_factory=time.time)
    gc_ms_max: float = 0.0  # the longest garbage collection since the last stats line
    flush_ms_max: float = 0.0  # the longest flush since the last stats line
    loop_lag_ms_max: float = 0.0  # the longest the event loop was late since then


@dataclass(frozen=True)
class View:
    """What one socket shows: the board (all groups, or some) or one client's positions."""

    kind: str  # board or client
    groups: frozenset[int] | None  # None: every group
    client: int | None = None

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> View:
        groups = data.get("groups")
        client = data.get("client")
        return cls(
            kind="client" if client is not None else "board",
            groups=None if groups is None else frozenset(int(g) for g in groups),
            client=None if client is None else int(client),
        )

    def to_message(self) -> dict[str, Any]:
        return {"groups": None if self.groups is None else sorted(self.groups),
                "client": self.client}

    def streams(self) -> list[str]:
        if self.kind == "client":
            return [client_stream(self.client, g) for g in sorted(self.groups or ())]
        if self.groups is None:
            return [ALL]
        return [group_stream(g) for g in sorted(self.groups)]


class Relay:
    def __init__(self, *, source: str | None = None, layer: Any = None,
                 row_rate: float | None = None):
        self.epoch = uuid.uuid4().hex[:12]
        self.layer = layer or get_channel_layer()
        self.publisher = Publisher(self.layer, self.epoch)
        self.source_kind = source or settings.LIVE_SOURCE
        self.state = BoardState()
        self.limiter = RowLimiter(row_rate or settings.LIVE_ROW_RATE)
        self.counters = Counters()
        self.status = Status("connecting", datetime.now(UTC), "connecting to OMTrader")
        self.ready = False
        self.stream: EventStream | None = None
        self.channel_name = ""
        self.steady: dict[int, tuple[tuple, str]] = {}  # render.position_row's cache
        # position id -> render.steady_key of the row as last published whole: while it holds,
        # every socket showing the row has it, and an update sends only the moving cells.
        self.published: dict[int, tuple] = {}
        self.panels: dict[str, str] = {}  # "risk-g6" -> the panel as last rendered
        self.boards: dict[frozenset[int] | None, float] = {}  # watched board views -> expiry
        self.clients: dict[int, float] = {}  # watched clients -> expiry
        self._panel_at: dict[str, float] = {}
        self._stale_scopes: set[str] = set()
        self._buffer: list[Event] | None = None
        self._reconcile_task: asyncio.Task | None = None
        self._status_due = True
        self._publish = asyncio.Lock()
        self._wake = asyncio.Event()
        self._event_at = 0.0
        self._reference_at = 0.0
        self._streams: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"<Relay {self.epoch} {self.source_kind} {self.status.state}>"

    @property
    def omtrader(self):
        from crmportal.omtrader.client import get_client

        return get_client()

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        self.channel_name = await self.layer.new_channel()
        await self.layer.group_add(RELAY_INBOX, self.channel_name)
        log.info("live relay %s started (source %s)", self.epoch, self.source_kind)
        await self.publisher.resync()  # sockets that waited for a relay ask again
        tasks = [
            asyncio.create_task(self._flushing(), name="flush"),
            asyncio.create_task(self._inbox(), name="inbox"),
            asyncio.create_task(self._forever(self._heartbeat, STATUS_INTERVAL), name="status"),
            asyncio.create_task(self._forever(self._housekeeping, 1.0), name="housekeeping"),
            asyncio.create_task(self._forever(self._audit_tally, TALLY_EVERY, wait_first=True),
                                name="audit-tally"),
            asyncio.create_task(self._watch_loop(), name="loop-lag"),
            asyncio.create_task(self._source(), name="source"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            if self._reconcile_task:
                self._reconcile_task.cancel()
            await asyncio.wait(tasks, timeout=5)
            try:
                await asyncio.wait_for(
                    self.layer.group_discard(RELAY_INBOX, self.channel_name), 2)
            except (Exception, asyncio.CancelledError):  # noqa: BLE001 - shutting down anyway
                log.debug("live relay: could not leave the inbox group", exc_info=True)
            log.info("live relay %s stopped", self.epoch)

    async def _forever(self, step, interval: float, wait_first: bool = False) -> None:
        if wait_first:
            await asyncio.sleep(interval)
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad flush must not end the relay
                log.exception("live relay: %s failed", getattr(step, "__name__", step))
            await asyncio.sleep(interval)

    async def _source(self) -> None:
        await self._load_reference()
        if self.source_kind == "poll":
            from crmportal.live.sources import PollSource

            await PollSource(self, settings.LIVE_POLL_INTERVAL).run()
        else:
            self.stream = EventStream(self, self._group_ids, heartbeat=settings.LIVE_HEARTBEAT)
            await self.stream.run()

    async def _load_reference(self) -> None:
        attempt = 0
        while True:
            try:
                groups, symbols = await asyncio.gather(
                    asyncio.to_thread(self.omtrader.groups_cached),
                    asyncio.to_thread(self.omtrader.symbols_cached),
                )
                self.state.set_reference(groups, symbols)
                return
            except OMTraderError as error:
                self.set_status("stale", f"OMTrader not answering: {error.message}"[:120])
                delay = random.uniform(0, min(30.0, 0.5 * 2**attempt))
                attempt += 1
                log.warning("live relay: reference data unavailable (%s); retry in %.1f s",
                            error.message, delay)
                await asyncio.sleep(delay)

    def _group_ids(self) -> list[int]:
        groups = self.state.groups or {g.id: g for g in self.omtrader.groups_cached()}
        return sorted(groups)

    # -- the source's side (StreamSink) --------------------------------------------------------

    def stream_up(self, info: StreamInfo) -> None:
        """Subscribed again: hold events, read the truth over REST, replay the held events."""
        self._buffer = []
        if self._reconcile_task and not self._reconcile_task.done():
            self._reconcile_task.cancel()
        self._reconcile_task = asyncio.get_running_loop().create_task(self._reconcile())

    def stream_event(self, event: Event) -> None:
        self.counters.events += 1
        self._event_at = time.monotonic()
        buffer = self._buffer
        if buffer is not None:
            if len(buffer) < BUFFER_LIMIT:
                buffer.append(event)
            return
        self.state.apply(event)
        self._wake.set()

    def stream_down(self, reason: str) -> None:
        self.set_status("stale", reason[:120])

    def apply_events(self, events: Iterable[Event]) -> None:
        for event in events:
            self.stream_event(event)

    def reconciled(self, accounts, positions) -> None:
        """A full REST read (after a reconnect, or the poll source's first read)."""
        changed = self.state.reconcile(accounts, positions)
        self.counters.reconciles += 1
        buffered, self._buffer = self._buffer or [], None
        for event in buffered:
            self.state.apply(event)
        first = not self.ready
        self.ready = True
        self.panels.clear()  # rendered before this read: not to be shown as current
        self._stale_scopes.add("*")
        self.set_status("live")
        log.info("live relay: reconciled %d positions, %d accounts (%d rows changed, %d events "
                 "replayed)", len(self.state.positions), len(self.state.accounts), changed,
                 len(buffered))
        if first:
            # Everything alive now (Django, templates, this picture) lives as long as the
            # process: keep it out of later full collections, which otherwise stall the
            # event loop for tens of milliseconds at this rate of events.
            gc.freeze()
            asyncio.get_running_loop().create_task(self._resync_all())

    async def _resync_all(self) -> None:
        async with self._publish:
            await self.publisher.resync()

    async def _reconcile(self) -> None:
        attempt = 0
        while True:
            try:
                accounts, positions = await asyncio.gather(
                    asyncio.to_thread(lambda: list(self.omtrader.iter_all(
                        self.omtrader.list_accounts))),
                    asyncio.to_thread(lambda: list(self.omtrader.iter_all(
                        self.omtrader.list_positions))),
                )
                break
            except OMTraderError as error:
                delay = random.uniform(0, min(15.0, 0.5 * 2**attempt))
                attempt += 1
                self.set_status("stale", f"reconcile failed: {error.message}"[:120])
                log.warning("live relay: reconcile failed (%s); retry in %.1f s",
                            error.message, delay)
                await asyncio.sleep(delay)
        self.reconciled(accounts, positions)

    def set_status(self, state: str, reason: str = "") -> None:
        current = self.status
        if state == current.state and reason == current.reason:
            return
        since = datetime.now(UTC)
        if state == "stale" and current.state in ("stale", "connecting"):
            since = current.since or since  # stale since the data stopped, not since now
        self.status = Status(state, since, reason)
        self._status_due = True

    # -- flushing ----------------------------------------------------------------------------

    async def _watch_loop(self) -> None:
        """How late the event loop runs (a blocked loop delays every socket), and a stats
        line every STATS_EVERY seconds."""
        counters, logged = self.counters, time.monotonic()
        last = {"events": 0, "rows": 0}
        gc_started = [0.0]

        def gc_timer(phase: str, info: dict) -> None:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                took = (time.perf_counter() - gc_started[0]) * 1000
                counters.gc_ms_max = max(counters.gc_ms_max, took)

        gc.callbacks.append(gc_timer)
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            lag = (time.monotonic() - before - 0.01) * 1000
            counters.loop_lag_ms_max = max(counters.loop_lag_ms_max, lag)
            now = time.monotonic()
            if now - logged >= STATS_EVERY:
                span = now - logged
                log.info("live relay: %.0f events/s, %.0f rows/s rendered, %d positions, "
                         "%d boards and %d clients watched, longest flush %.0f ms, "
                         "event loop late by up to %.0f ms, longest garbage collection %.0f ms",
                         (counters.events - last["events"]) / span,
                         (counters.rows_rendered - last["rows"]) / span,
                         len(self.state.positions), len(self.boards), len(self.clients),
                         counters.flush_ms_max, counters.loop_lag_ms_max, counters.gc_ms_max)
                last = {"events": counters.events, "rows": counters.rows_rendered}
                counters.flush_ms_max = counters.loop_lag_ms_max = counters.gc_ms_max = 0.0
                logged = now

    async def _flushing(self) -> None:
        """Flush once a burst of events is over, and every FLUSH_INTERVAL anyway for rows the
        coalescer held back. A market step arrives as a burst (ticks, then a profit update per
        position): flushing in the middle of it would send rows with the new price and the old
        P/L, and send them twice."""
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL)
                await self._burst_over()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self._flush_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad flush must not end the relay
                log.exception("live relay: flush failed")

    async def _burst_over(self) -> None:
        began = time.monotonic()
        while True:
            await asyncio.sleep(FLUSH_QUIET)
            now = time.monotonic()
            if now - self._event_at >= FLUSH_QUIET or now - began >= FLUSH_HOLD:
                return

    async def _flush_once(self) -> None:
        now = time.monotonic()
        try:
            await self._flush(now)
        finally:
            took = (time.monotonic() - now) * 1000
            self.counters.flush_ms_max = max(self.counters.flush_ms_max, took)

    async def _flush(self, now: float) -> None:
        self.counters.flushes += 1
        state = self.state
        state.release_repriced(now)
        gone = state.gone_rows
        state.gone_rows = {}
        changed_groups = state.dirty_groups
        state.dirty_groups = set()
        feed = state.new_feed
        state.new_feed = []
        watching = self._prune_watches(now)
        items: dict[str, list[tuple[str, str]]] = {}

        def add(streams: Iterable[str], key: str, html: str) -> None:
            for stream in streams:
                items.setdefault(stream, []).append((key, html))

        for position_id, row in gone.items():
            self.limiter.forget(position_id)
            self.steady.pop(position_id, None)
            self.published.pop(position_id, None)
            if watching and row.group_id is not None:
                add(self._row_streams(row), f"pos-{position_id}", render.position_gone(position_id))
        if watching:
            await self._render_rows(now, items, add)
            for item in feed[-FEED_PER_FLUSH:]:
                item.html = render.feed_row(item)
                if item.group_id is not None:
                    add((ALL, self._group_stream(item.group_id)), f"feed-{item.n}", item.html)
        else:
            state.dirty_rows.clear()  # nobody looks: render on demand when someone does
            self.published.clear()
        # Rows first; the panels after, so a panel's rendering never holds rows back.
        await self._publish_items(items)
        self._stale_scopes.update(f"g{g}" for g in changed_groups)
        if changed_groups:
            self._stale_scopes.add("all")
        await self._render_panels(now, add)
        if self._status_due:
            self._status_due = False
            await self._send_status()
        await self._publish_items(items)

    async def _render_rows(self, now: float, items, add) -> None:
        state, rendered = self.state, 0
        only_clients = None if self.boards else self.clients  # no board open: those rows only
        for position_id in list(state.dirty_rows):
            row = state.positions.get(position_id)
            if row is None or row.group_id is None or (
                    only_clients is not None and row.client_id not in only_clients):
                state.dirty_rows.pop(position_id, None)
                self.published.pop(position_id, None)
                continue
            if position_id not in state.dirty_rows or not self.limiter.allow(position_id, now):
                continue  # coalesced: the newest state goes out when the row may send again
            del state.dirty_rows[position_id]
            key = render.steady_key(state, row)
            if self.published.get(position_id) == key:
                add(self._row_streams(row), f"cells-{position_id}",
                    render.position_cells(state, row))
            else:
                html = render.position_row(state, row, self.steady)
                self.published[position_id] = key
                add(self._row_streams(row), f"pos-{position_id}", html)
            rendered += 1
            if rendered % CHUNK == 0:
                await self._publish_items(items)  # events that arrive meanwhile wait their turn
            if rendered >= ROW_BUDGET:
                break
        self.counters.rows_rendered += rendered

    async def _publish_items(self, items: dict[str, list[tuple[str, str]]]) -> None:
        if not items:
            return
        batches = list(items.items())
        items.clear()
        async with self._publish:
            for stream, batch in batches:
                by_kind: dict[str, list[tuple[str, str]]] = {}
                for item in batch:
                    by_kind.setdefault(render.kind_of(item[0]), []).append(item)
                for kind in render.KINDS:  # one kind per message: the sockets' fast path
                    if kind in by_kind:
                        await self.publisher.update(stream, by_kind[kind])

    async def _render_panels(self, now: float, add) -> None:
        """The aggregate panels of one scope that is due, in slices: between them the loop
        sends the rows just published and reads new events, so a panel never holds them up."""
        scope = self._due_scope(now)
        if scope is None:
            return
        await self._settle()
        stream = ALL if scope.group_ids is None else self._group_stream(min(scope.group_ids))
        for kind in PANELS:
            await asyncio.sleep(0)
            name, html = self._panel(kind, scope)
            add((stream,), name, html)

    def _due_scope(self, now: float) -> Scope | None:
        """One scope per flush: a board of many groups spreads the work."""
        if not self._stale_scopes:
            return None
        every = "*" in self._stale_scopes
        for scope in self._watched_scopes():
            if not every and scope.key not in self._stale_scopes:
                continue
            if now - self._panel_at.get(scope.key, 0.0) < PANEL_INTERVAL:
                continue
            self._panel_at[scope.key] = now
            self._stale_scopes.discard(scope.key)
            return scope
        if every:
            self._stale_scopes.discard("*")
        return None

    async def _settle(self) -> None:
        """Parse the account summaries received since the last panel (the newest of each
        account; nothing else needs them parsed), a slice at a time."""
        for _ in range(len(self.state.unsettled) // SETTLE_SLICE + 1):
            await asyncio.sleep(0)
            self.state.settle(limit=SETTLE_SLICE)

    def _panel(self, kind: str, scope: Scope) -> tuple[str, str]:
        panel = render.risk_panel if kind == "risk" else render.exposure_panel
        name = f"{kind}-{scope.key}"
        html = self.panels[name] = panel(self.state, scope, self.ready)
        return name, html

    def _row_streams(self, row: LivePosition) -> list[str]:
        streams = [ALL, self._group_stream(row.group_id)]
        if row.client_id is not None and row.client_id in self.clients:
            streams.append(client_stream(row.client_id, row.group_id))
        return streams

    def _group_stream(self, group_id: int) -> str:
        stream = self._streams.get(group_id)
        if stream is None:
            stream = self._streams[group_id] = group_stream(group_id)
        return stream

    async def _send_status(self) -> None:
        async with self._publish:
            await self.publisher.status(self.status.state, render.status(self.status))

    async def _heartbeat(self) -> None:
        await self._send_status()
        # Group memberships expire in the channel layer: renew the inbox's.
        await self.layer.group_add(RELAY_INBOX, self.channel_name)

    async def _housekeeping(self) -> None:
        """Look up what events named but the state does not know (and refresh the caches)."""
        state = self.state
        due = time.monotonic() - self._reference_at >= REFERENCE_EVERY
        if (state.unknown_groups or state.unknown_symbols) and due:
            self._reference_at = time.monotonic()  # once a minute: some ids may stay unknown
            kinds = (["groups"] if state.unknown_groups else []) + (
                ["symbols"] if state.unknown_symbols else [])
            for kind in kinds:
                await asyncio.to_thread(self.omtrader.invalidate_reference, kind)
            self.counters.reference_reloads += 1
            await self._load_reference()
        for account_id in list(state.unknown_accounts)[:20]:
            try:
                account = await asyncio.to_thread(self.omtrader.get_account, account_id)
            except OMTraderError as error:
                log.info("live relay: account %s not readable (%s)", account_id, error.message)
                state.unknown_accounts.discard(account_id)
                continue
            state.account_known(account)
            self.counters.resolved_accounts += 1

    async def _audit_tally(self) -> None:
        """Refusals counted in a minute that is over reach the audit log even when no later
        event, audit page or verify_audit comes to flush them (crmportal/audit/tally.py)."""
        await database_sync_to_async(tally.flush)()

    # -- what sockets ask for ------------------------------------------------------------------

    async def _inbox(self) -> None:
        while True:
            message = await self.layer.receive(self.channel_name)
            try:
                await self.handle(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad request must not end the relay
                log.exception("live relay: could not handle %s", message.get("type"))

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind not in ("live.snapshot.request", "live.watch"):
            return
        view = View.from_message(message["view"])
        self._watch(view)
        if kind == "live.snapshot.request":
            parts = self.snapshot_parts(view)
            self.counters.snapshots += 1
            async with self._publish:
                await self.publisher.snapshot(message["reply_to"], view.streams(), parts)

    def _watch(self, view: View) -> None:
        expiry = time.monotonic() + WATCH_TTL
        if view.kind == "client":
            self.clients[view.client] = expiry
        else:
            if view.groups not in self.boards:
                for scope in self._scopes_of(view.groups):
                    self._stale_scopes.add(scope.key)
            self.boards[view.groups] = expiry

    def _prune_watches(self, now: float) -> bool:
        for watched in (self.boards, self.clients):
            for key in [k for k, expiry in watched.items() if expiry < now]:
                del watched[key]
        return bool(self.boards or self.clients)

    def _scopes_of(self, groups: frozenset[int] | None) -> list[Scope]:
        if groups is None:
            return [Scope.all()]
        named = len(groups) > 1
        return [Scope.group(g, self.state.group_name(g) if named else "") for g in sorted(groups)]

    def _watched_scopes(self) -> list[Scope]:
        scopes: dict[str, Scope] = {}
        for groups in self.boards:
            for scope in self._scopes_of(groups):
                scopes.setdefault(scope.key, scope)
        return list(scopes.values())

    def snapshot_parts(self, view: View) -> list[str]:
        """Everything the view's panels show, as out-of-band swaps: one part per kind of
        fragment (table bodies, then flow content), each sent as its own message."""
        state = self.state
        rows = sorted(state.rows_in(view.groups, view.client), key=lambda r: -r.position.id)
        rows_html = [render.position_row(state, row, self.steady) for row in rows]
        empty = "No open positions." if self.ready else ""
        if view.kind == "client":
            return [render.client_panel(rows_html, self.status, empty)]
        flow = []
        for scope in self._scopes_of(view.groups):
            for kind in PANELS:
                html = self.panels.get(f"{kind}-{scope.key}")
                flow.append(html if html is not None else self._panel(kind, scope)[1])
        flow.append(render.status(self.status))
        feed = []
        for item in reversed(state.feed):
            if view.groups is None or item.group_id in view.groups:
                if not item.html:
                    item.html = render.feed_row(item)
                feed.append(item.html)
                if len(feed) >= FEED_SNAPSHOT:
                    break
        bodies = render.positions_body(rows_html, empty) + render.feed_body(feed)
        return [bodies, "".join(flow)]

    def stats(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch, "status": self.status.state, "ready": self.ready,
            "positions": len(self.state.positions), "accounts": len(self.state.accounts),
            "watching": {"boards": len(self.boards), "clients": len(self.clients)},
            **self.counters.__dict__,
            "stream": self.stream.counters.__dict__ if self.stream else None,
        }


# -- the embedded relay ------------------------------------------------------------------------

_embedded: dict[str, Any] = {"relay": None, "task": None, "loop": None}


def ensure_embedded_relay() -> Relay | None:
    """Start the relay in this process's event loop unless it runs (LIVE_RELAY=embedded only)."""
    if settings.LIVE_RELAY != "embedded":
        return None
    loop = asyncio.get_running_loop()
    task = _embedded["task"]
    if task is None or task.done() or _embedded["loop"] is not loop:
        relay = Relay()
        _embedded.update(relay=relay, loop=loop,
                         task=loop.create_task(relay.run(), name="live-relay"))
        _embedded["task"].add_done_callback(_relay_ended)
    return _embedded["relay"]


def stop_embedded_relay() -> asyncio.Task | None:
    """Cancel the embedded relay (the server is stopping): its task, to wait for, or None."""
    task = _embedded["task"]
    if task is None or task.done():
        return None
    task.cancel()
    return task


def embedded_relay() -> Relay | None:
    task = _embedded["task"]
    return _embedded["relay"] if task is not None and not task.done() else None


def _relay_ended(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("live relay ended with an error; the next socket restarts it",
                  exc_info=error)
