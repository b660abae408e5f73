"""The market as the dashboard's supervisor panels read it: one REST read of every account and
open position, put into the live board's own BoardState, so the counts, the accounts nearest
margin call and the exposure are computed exactly as the board computes them.

The read is shared by the whole process for DASHBOARD_MARKET_MAX_AGE seconds and made by one
request at a time (the panels of a dashboard load together: the first reads, the others
wait for it). What each member sees is cut from it by their group scope.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from crmportal.live.render import Scope
from crmportal.live.state import BoardState
from crmportal.omtrader.concurrent import gather


@dataclass
class Picture:
    state: BoardState
    read_at: float
    lock: threading.Lock = field(default_factory=threading.Lock)  # BoardState is not thread-safe


_latest: Picture | None = None
_reading = threading.Lock()


def picture(omt) -> Picture:
    """The shared read, fresh enough, or a new one."""
    global _latest
    with _reading:
        latest, max_age = _latest, settings.DASHBOARD_MARKET_MAX_AGE
        if latest is not None and time.monotonic() - latest.read_at < max_age:
            return latest
        got = gather(accounts=lambda: list(omt.iter_all(omt.list_accounts)),
                     positions=lambda: list(omt.iter_all(omt.list_positions)),
                     groups=omt.groups_cached, symbols=omt.symbols_cached)
        state = BoardState()
        state.set_reference(got["groups"], got["symbols"])
        state.reconcile(got["accounts"], got["positions"])
        _latest = Picture(state, time.monotonic())
        return _latest


def forget() -> None:
    """Drop the shared read (tests; the next panel reads again)."""
    global _latest
    with _reading:
        _latest = None


def scope_of(limit: frozenset[int] | None) -> Scope:
    """The member's groups as one block of figures."""
    return Scope.all() if limit is None else Scope("mine", frozenset(limit))


def scopes_of(limit: frozenset[int] | None) -> list[Scope]:
    """The blocks the live counts travel in: every group, or each of the member's groups."""
    return [Scope.all()] if limit is None else [Scope.group(g) for g in sorted(limit)]


def risk_counts(shot: Picture, limit: frozenset[int] | None) -> list[tuple[Scope, dict]]:
    with shot.lock:
        return [(scope, shot.state.risk_counts(scope.group_ids)) for scope in scopes_of(limit)]


def profit_by_group(shot: Picture, limit: frozenset[int] | None) -> dict[int, Decimal | None]:
    with shot.lock:
        figures = shot.state.profit_by_group()
    return {g: v for g, v in figures.items() if limit is None or g in limit}
