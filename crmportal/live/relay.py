"""The relay's lifecycle: one per deployment, between OMTrader's event stream and the
browsers' sockets. Its parts live in modules of their own: flush.py (render what changed once
and publish it), watches.py (what the sockets watch, the inbox where they ask for snapshots),
embedded.py (the relay inside the daphne process); this module starts and stops it, feeds it
events and keeps it alive.

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

Embedded (LIVE_RELAY=embedded): `embedded.ensure_embedded_relay()` starts it as a task in
the daphne process on first need. External: `manage.py relay` runs it behind a Redis lock
(lock.py).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import random
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from crmportal.audit import tally
from crmportal.live import reports
from crmportal.live.coalesce import RowLimiter
from crmportal.live.flush import Flushing
from crmportal.live.lists import Change, Listing
from crmportal.live.publish import RELAY_INBOX, Publisher
from crmportal.live.render import Status
from crmportal.live.state import BoardState
from crmportal.live.watches import Watching
from crmportal.omtrader.errors import OMTraderError
from crmportal.omtrader.stream import Event, EventStream, StreamInfo

log = logging.getLogger("crmportal.live")

STATUS_INTERVAL = 5.0
BUFFER_LIMIT = 500_000
STATS_EVERY = 15.0
TALLY_EVERY = 60.0  # aggregated refusals of finished minutes go to the audit log this often
REFERENCE_EVERY = 60.0  # unknown groups or symbols reload the reference data at most this often


@dataclass
class RelayCounters:
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




class Relay(Flushing, Listing, Watching):
    def __init__(self, *, source: str | None = None, layer: Any = None,
                 row_rate: float | None = None):
        self.epoch = uuid.uuid4().hex[:12]
        self.layer = layer or get_channel_layer()
        self.publisher = Publisher(self.layer, self.epoch)
        self.source_kind = source or settings.LIVE_SOURCE
        self.state = BoardState()
        self.limiter = RowLimiter(row_rate or settings.LIVE_ROW_RATE)
        self.counters = RelayCounters()
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
        self.accounts_watched: dict[int, float] = {}  # watched account pages -> expiry
        self.dashboards: dict[frozenset[int] | None, float] = {}  # watched dashboards -> expiry
        self.lists_watched: dict[str, float] = {}  # watched trading lists -> expiry
        self.list_recent: deque[Change] = deque()  # the lists' recent changes (lists.py)
        self.list_floor = math.inf  # complete from the first reconcile on
        self.counts: dict[str, tuple] = {}  # scope key -> dashboard counts as last published
        self._counts_at = 0.0
        self._panel_at: dict[str, float] = {}
        self._stale_scopes: set[str] = set()
        self._buffer: list[Event] | None = None
        self._reconcile_task: asyncio.Task | None = None
        self._status_due = True
        self._publish = asyncio.Lock()
        self._wake = asyncio.Event()
        self._event_at = 0.0
        self._reference_at = 0.0
        self._audiences: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"<Relay {self.epoch} {self.source_kind} {self.status.state}>"

    @property
    def omtrader(self):
        from crmportal.omtrader.client import get_omtrader

        return get_omtrader()

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
            asyncio.create_task(self._forever(self._sample, settings.DASHBOARD_PL_SAMPLE_SECONDS,
                                              wait_first=True), name="sample"),
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

    async def _until_read(self, *reads, failed: str, longest: float) -> list:
        """Run the blocking reads together in threads until they all succeed; meanwhile the
        relay is stale, and it waits with exponential back-off and full jitter."""
        attempt = 0
        while True:
            try:
                return await asyncio.gather(*(asyncio.to_thread(read) for read in reads))
            except OMTraderError as error:
                self.set_status("stale", f"{failed}: {error.message}"[:120])
                delay = random.uniform(0, min(longest, 0.5 * 2**attempt))
                attempt += 1
                log.warning("live relay: %s (%s); retry in %.1f s", failed, error.message, delay)
                await asyncio.sleep(delay)

    async def _load_reference(self) -> None:
        groups, symbols = await self._until_read(
            lambda: self.omtrader.groups_cached(), lambda: self.omtrader.symbols_cached(),
            failed="OMTrader not answering", longest=30.0)
        self.state.set_reference(groups, symbols)

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

    def reconciled(self, accounts, positions, orders=None) -> None:
        """A full REST read (after a reconnect, or the poll source's first read)."""
        changed = self.state.reconcile(accounts, positions, orders)
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
            # The trading lists' pages read their rows over REST: the first read is no change.
            self.state.list_changed.clear()
            self.state.list_gone.clear()
            self._lists_ready()
            # Everything alive now (Django, templates, this picture) lives as long as the
            # process: keep it out of later full collections, which otherwise stall the
            # event loop for tens of milliseconds at this rate of events.
            gc.freeze()
            asyncio.get_running_loop().create_task(self._resync_all())

    async def _resync_all(self) -> None:
        async with self._publish:
            await self.publisher.resync()

    async def _reconcile(self) -> None:
        accounts, positions, orders = await self._until_read(
            lambda: list(self.omtrader.iter_all(self.omtrader.list_accounts)),
            lambda: list(self.omtrader.iter_all(self.omtrader.list_positions)),
            lambda: list(self.omtrader.iter_all(self.omtrader.list_orders)),
            failed="reconcile failed", longest=15.0)
        self.reconciled(accounts, positions, orders)

    def set_status(self, state: str, reason: str = "") -> None:
        current = self.status
        if state == current.state and reason == current.reason:
            return
        since = datetime.now(UTC)
        if state == "stale" and current.state in ("stale", "connecting"):
            since = current.since or since  # stale since the data stopped, not since now
        self.status = Status(state, since, reason)
        self._status_due = True

    # -- keeping alive: the event loop's health, status, reference data, the audit tally ------

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

    async def _sample(self) -> None:
        """Floating P/L per group into the database every DASHBOARD_PL_SAMPLE_SECONDS: the
        dashboard's chart over the day (OMTrader keeps no history of it; reports.py)."""
        if self.ready:
            figures = self.state.profit_by_group()  # on the loop: the state is not thread-safe
            await database_sync_to_async(reports.profit_sampled.send)(sender=type(self),
                                                                      figures=figures)

    async def _audit_tally(self) -> None:
        """Refusals counted in a minute that is over reach the audit log even when no later
        event, audit page or verify_audit comes to flush them (crmportal/audit/tally.py)."""
        await database_sync_to_async(tally.flush)()

    def stats(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch, "status": self.status.state, "ready": self.ready,
            "positions": len(self.state.positions), "accounts": len(self.state.accounts),
            "watching": {"boards": len(self.boards), "clients": len(self.clients),
                         "accounts": len(self.accounts_watched),
                         "lists": len(self.lists_watched)},
            **self.counters.__dict__,
            "stream": self.stream.counters.__dict__ if self.stream else None,
        }
