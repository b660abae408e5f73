"""The relay's part for the trading lists (/trading/positions/, /trading/orders/): each
position or pending order that an event opened, changed or ended is rendered once with the
list's own row partial (crmportal/trading/rows.py, the partial the page renders) and goes to
the list's channel groups of every group and of its account's group (publish.list_audience).

Only structural changes travel (open, SL/TP, volume, swaps, close; an order placed, changed,
filled, cancelled): P/L and prices move tick by tick on the board, not in these tables. The
page decides what a pushed row does there (static/js/live.js: rows matched on the page's
filters, or counted in a "changes: refresh" notice).

The page reads its rows over REST and says when (`since`, in the socket's address). A change
between that read and the socket's first snapshot, while the socket was down, or while nobody
watched, would never reach it; so every change the flush takes, rendered or not, also goes into
a bounded buffer of recent changes (RECENT entries). A list's snapshot carries the status and
the newest state of each record of the view's groups changed since `since` (stamped
`data-live-at`, the relay's clock). When the buffer does not reach back that far (a new relay,
a dropped entry: `list_floor`) or more than SNAPSHOT_ROWS rows qualify, it carries a reload
marker (`reload_marker`): a page whose rows were read before that reads its table again.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from itertools import chain, islice

from crmportal.live.publish import list_audience
from crmportal.live.state import BoardState

LIST_BUDGET = 200  # rows rendered per flush at most; the rest wait for the next
RECENT = 2000  # changes kept for the lists' snapshots; an older one moves list_floor
SNAPSHOT_ROWS = 200  # rows a snapshot resends at most; past that the page reads its table


@dataclass(slots=True)
class Change:
    stamp: float  # time.time() of the flush that took it (the relay's clock)
    name: str  # positions or orders
    record_id: int
    group_id: int
    record: object
    gone: bool
    # The row as snapshots send it, rendered once: sockets coming back together (a web
    # process restarted) would otherwise render the same rows each.
    html: str = ""


class Listing:
    """A part of Relay (see relay.py for the state)."""

    state: BoardState
    ready: bool
    lists_watched: dict[str, float]
    list_recent: deque[Change]
    list_floor: float  # the buffer is complete from here on (relay clock); inf before ready

    def _lists_ready(self) -> None:
        """The first reconcile: pages read before it may lack what changed meanwhile."""
        self.list_floor = time.time()
        self.list_recent.clear()

    def _render_lists(self, add) -> None:
        state = self.state
        watched = bool(self.lists_watched)
        stamp = time.time()
        changes = chain(((key, record, True) for key, record in state.list_gone.items()),
                        ((key, record, False) for key, record in state.list_changed.items()))
        work = list(islice(changes, LIST_BUDGET) if watched else changes)
        codes = self._codes() if watched and work else {}  # flushes with no change: no work
        for (name, record_id), record, gone in work:
            (state.list_gone if gone else state.list_changed).pop((name, record_id), None)
            group_id = state.account_group.get(record.account_id)
            if group_id is None:
                continue
            self._remember(Change(stamp, name, record_id, group_id, record, gone))
            if name in self.lists_watched:
                add((list_audience(name, None), list_audience(name, group_id)),
                    f"list-{name}-{record_id}", self._list_row(name, record, gone, codes))

    def _remember(self, change: Change) -> None:
        recent = self.list_recent
        recent.append(change)
        if len(recent) > RECENT:
            self.list_floor = recent.popleft().stamp

    def _codes(self) -> dict[int, str]:
        return {sid: symbol.symbol for sid, symbol in self.state.symbols.items()}

    def _list_row(self, name: str, record, gone: bool, codes: dict[int, str],
                  live_at: str = "") -> str:
        from crmportal.trading.kinds import ORDERS, POSITIONS
        from crmportal.trading.rows import render_gone, render_row

        kind = POSITIONS if name == "positions" else ORDERS
        if gone:
            return render_gone(kind, record, self.state.accounts, live_at)
        return render_row(kind, record, codes, self.state.accounts, live_at)

    def list_snapshot(self, name: str, groups: frozenset[int] | None,
                      since: float | None) -> tuple[str, str]:
        """What a list's socket missed since `since` (relay clock): the rows (oldest first:
        the page puts each on top) and the reload marker ("" when the rows are the whole
        story: the buffer reaches back to `since` and they are few)."""
        if since is None or not self.ready:
            return "", ""
        newest: dict[int, Change] = {}
        for change in reversed(self.list_recent):
            if change.stamp < since:
                break
            if change.name == name and (groups is None or change.group_id in groups):
                newest.setdefault(change.record_id, change)
                if len(newest) > SNAPSHOT_ROWS:
                    return "", reload_marker(time.time())  # reading the table is cheaper
        codes = self._codes()
        for change in newest.values():
            if not change.html:
                change.html = self._list_row(name, change.record, change.gone, codes,
                                             f"{change.stamp:.3f}")
        rows = "".join(change.html for change in reversed(newest.values()))
        return rows, reload_marker(self.list_floor) if since <= self.list_floor else ""


def reload_marker(at: float) -> str:
    """Tells a list page whose rows were read before `at` (relay clock) to read its table
    again (static/js/live.js)."""
    return f'<template id="live-list-reload" data-live-reload="{at:.3f}"></template>'
