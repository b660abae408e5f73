"""The relay's flush: render what changed once and hand each channel group its batch.

Events change BoardState at once (relay.py). The flush runs when a burst of events is over
(no event for FLUSH_QUIET, or FLUSH_HOLD after it began) and every FLUSH_INTERVAL anyway; it
renders position rows (coalesced per row by RowLimiter; a row every socket already has goes
out as its moving cells only), closed rows, feed items and, at most every PANEL_INTERVAL, the
aggregate panels of one watched scope, and publishes them through the Publisher (publish.py),
the one place that sends, one kind of fragment per message. Snapshots are rendered here too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from crmportal.live import render, reports
from crmportal.live.coalesce import RowLimiter
from crmportal.live.publish import (
    ALL,
    LISTS,
    Publisher,
    account_audience,
    client_audience,
    dashboard_audience,
    group_audience,
)
from crmportal.live.render import Scope, Status
from crmportal.live.state import BoardState, LivePosition
from crmportal.live.watches import Watch

log = logging.getLogger("crmportal.live")

FLUSH_INTERVAL = 0.025  # at the latest, for rows the coalescer held back
FLUSH_QUIET = 0.003  # a burst of events is over when none came for this long ...
FLUSH_HOLD = 0.05  # ... or this long after it began
CHUNK = 400  # rows per published batch: a market step's rows go out together
PANEL_INTERVAL = 1.0
ROW_BUDGET = 1500  # rows rendered in one flush at most; the rest wait for the next
FEED_PER_FLUSH = 30
SETTLE_SLICE = 40  # account summaries parsed between two turns of the event loop
PANELS = ("risk", "exposure")
FEED_SNAPSHOT = 50


class Flushing:
    """The Relay's rendering and publishing (a part of Relay, see relay.py for the state)."""

    state: BoardState
    publisher: Publisher
    limiter: RowLimiter
    counters: Any
    status: Status
    ready: bool
    steady: dict[int, tuple[tuple, str]]
    published: dict[int, tuple]
    panels: dict[str, str]
    clients: dict[int, float]
    accounts_watched: dict[int, float]
    boards: dict[frozenset[int] | None, float]
    dashboards: dict[frozenset[int] | None, float]
    counts: dict[str, tuple]
    _counts_at: float
    _panel_at: dict[str, float]
    _stale_scopes: set[str]
    _status_due: bool
    _publish: asyncio.Lock
    _wake: asyncio.Event
    _event_at: float
    _audiences: dict[int, str]

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

        def add(audiences: Iterable[str], key: str, html: str) -> None:
            for audience in audiences:
                items.setdefault(audience, []).append((key, html))

        for position_id, row in gone.items():
            self.limiter.forget(position_id)
            self.steady.pop(position_id, None)
            self.published.pop(position_id, None)
            if watching and row.group_id is not None:
                add(self._row_audiences(row), f"pos-{position_id}",
                    render.position_gone(position_id))
        if watching:
            await self._render_rows(now, items, add)
            for item in feed[-FEED_PER_FLUSH:]:
                item.html = render.feed_row(item)
                if item.group_id is not None:
                    add((ALL, self._group_audience(item.group_id)), f"feed-{item.n}", item.html)
        else:
            state.dirty_rows.clear()  # nobody looks: render on demand when someone does
            self.published.clear()
        self._render_accounts(add)
        self._render_lists(add)
        # Rows first; the panels after, so a panel's rendering never holds rows back.
        await self._publish_items(items)
        self._stale_scopes.update(f"g{g}" for g in changed_groups)
        if changed_groups:
            self._stale_scopes.add("all")
        await self._render_panels(now, add)
        await self._render_counts(now, add)
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
                add(self._row_audiences(row), f"cells-{position_id}",
                    render.position_cells(state, row))
            else:
                html = render.position_row(state, row, self.steady)
                self.published[position_id] = key
                add(self._row_audiences(row), f"pos-{position_id}", html)
            rendered += 1
            if rendered % CHUNK == 0:
                await self._publish_items(items)  # events that arrive meanwhile wait their turn
            if rendered >= ROW_BUDGET:
                break
        self.counters.rows_rendered += rendered

    def _render_accounts(self, add) -> None:
        """The money of each watched account page whose summary came since the last flush."""
        for account_id in list(self.accounts_watched):
            if account_id not in self.state.unsettled:
                continue
            summary = self.state.settle_account(account_id)
            if summary is not None and summary.group_id is not None:
                add((account_audience(account_id, summary.group_id),),
                    f"account-summary-{account_id}", render.account_summary(self.state, summary))

    async def _publish_items(self, items: dict[str, list[tuple[str, str]]]) -> None:
        if not items:
            return
        batches = list(items.items())
        items.clear()
        async with self._publish:
            for audience, batch in batches:
                by_kind: dict[str, list[tuple[str, str]]] = {}
                for item in batch:
                    by_kind.setdefault(render.kind_of(item[0]), []).append(item)
                for kind in render.KINDS:  # one kind per message: the sockets' fast path
                    if kind in by_kind:
                        await self.publisher.update(audience, by_kind[kind])

    async def _render_panels(self, now: float, add) -> None:
        """The aggregate panels of one scope that is due, in slices: between them the loop
        sends the rows just published and reads new events, so a panel never holds them up."""
        scope = self._due_scope(now)
        if scope is None:
            return
        await self._settle()
        audience = ALL if scope.group_ids is None else self._group_audience(min(scope.group_ids))
        for kind in PANELS:
            await asyncio.sleep(0)
            name, html = self._panel(kind, scope)
            add((audience,), name, html)

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

    async def _render_counts(self, now: float, add) -> None:
        """The dashboard's live counts (accounts at margin call, at stop out) of every scope a
        dashboard watches, at most every PANEL_INTERVAL, published only when they changed."""
        if not self.dashboards or now - self._counts_at < PANEL_INTERVAL:
            return
        self._counts_at = now
        await self._settle()
        for scope in {s.key: s for groups in list(self.dashboards)
                      for s in self._scopes_of(groups)}.values():
            await asyncio.sleep(0)
            counts = self.state.risk_counts(scope.group_ids)
            if self.counts.get(scope.key) == (self.ready, counts):
                continue
            self.counts[scope.key] = (self.ready, counts)
            audience = dashboard_audience(None if scope.group_ids is None
                                          else min(scope.group_ids))
            add((audience,), f"dash-{scope.key}", render.risk_counts(scope, counts, self.ready))

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

    def _row_audiences(self, row: LivePosition) -> list[str]:
        audiences = [ALL, self._group_audience(row.group_id)]
        if row.client_id is not None and row.client_id in self.clients:
            audiences.append(client_audience(row.client_id, row.group_id))
        return audiences

    def _group_audience(self, group_id: int) -> str:
        audience = self._audiences.get(group_id)
        if audience is None:
            audience = self._audiences[group_id] = group_audience(group_id)
        return audience

    async def _send_status(self) -> None:
        async with self._publish:
            await self.publisher.status(self.status.state, render.status(self.status))
        await asyncio.to_thread(reports.status_noted.send, sender=type(self), status=self.status)

    def snapshot_parts(self, view: Watch, since: float | None = None) -> list[str]:
        """Everything the view's panels show, as out-of-band swaps: one part per kind of
        fragment (table bodies, then flow content), each sent as its own message. A trading
        list's page read its rows itself: it gets what changed since `since` (lists.py)."""
        state = self.state
        if view.kind in LISTS:
            rows, marker = self.list_snapshot(view.kind, view.groups, since)
            return [part for part in (rows, marker + render.status(self.status)) if part]
        if view.kind == "dashboard":
            counts = [render.risk_counts(scope, state.risk_counts(scope.group_ids), self.ready)
                      for scope in self._scopes_of(view.groups)]
            return ["".join(counts) + render.status(self.status)]
        rows = sorted(state.rows_in(view.groups, view.client), key=lambda r: -r.position.id)
        rows_html = [render.position_row(state, row, self.steady) for row in rows]
        empty = "No open positions." if self.ready else ""
        if view.kind == "client":
            return [render.client_panel(rows_html, self.status, empty)]
        if view.kind == "account":
            summary = self.state.settle_account(view.account)
            return [render.account_summary(self.state, summary)] if summary else []
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
