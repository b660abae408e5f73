"""The market as the dashboard's supervisor panels read it, in the live board's own
BoardState, so the counts, the accounts nearest margin call and the exposure are computed
exactly as the board computes them: a copy of the embedded relay's picture when it runs live in
this process (no upstream call for it), else one REST read of every account and open
position; the newest deals are read over REST either way.

The read is shared by the whole process (shared.py): fresh for DASHBOARD_MARKET_MAX_AGE, then
shown while one background thread reads a new one up to DASHBOARD_MARKET_STALE_MAX (parsing a
thousand accounts costs more than a round trip: no panel waits for it). What each member sees
is cut from it by their group scope; each panel says as of when. The live counts come from the
relay, not from here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from crmportal.dashboard.shared import SharedRead
from crmportal.live.embedded import state_of_embedded_relay
from crmportal.live.render import Scope
from crmportal.live.state import BoardState
from crmportal.omtrader.concurrent import gather
from crmportal.omtrader.entities import Deal

DEALS = 200  # the newest deals read with the picture (the "last large deals" panel)


@dataclass
class Picture:
    state: BoardState
    deals: list[Deal]
    taken: datetime
    source: str  # "the live relay" or "OMTrader"
    lock: threading.Lock = field(default_factory=threading.Lock)  # BoardState is not thread-safe


def picture(omt) -> Picture:
    """The shared read: fresh, or stale while a new one is read, or read now."""
    return _shared.get(omt, settings.DASHBOARD_MARKET_MAX_AGE,
                       settings.DASHBOARD_MARKET_STALE_MAX)


def _read(omt) -> Picture:
    def deals() -> list[Deal]:
        return omt.list_deals(page=1, limit=DEALS, sort_by="id", direction="DESC").items

    state = state_of_embedded_relay()
    if state is not None:
        got, source = gather(deals=deals), "the live relay"
    else:
        got = gather(accounts=lambda: list(omt.iter_all(omt.list_accounts)),
                     positions=lambda: list(omt.iter_all(omt.list_positions)),
                     deals=deals, groups=omt.groups_cached, symbols=omt.symbols_cached)
        state, source = BoardState(), "OMTrader"
        state.set_reference(got["groups"], got["symbols"])
        state.reconcile(got["accounts"], got["positions"])
    return Picture(state, got["deals"], timezone.now(), source)


_shared = SharedRead("market", _read)
forget = _shared.forget


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
