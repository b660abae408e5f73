"""The market as the dashboard's supervisor panels read it, in the live board's own
BoardState, so the counts, the accounts nearest margin call and the exposure are computed
exactly as the board computes them: a copy of the embedded relay's picture when it runs live in
this process (no upstream call for it), else one REST read of every account and open
position; the newest deals are read over REST either way.

The read is shared by the whole process. Younger than DASHBOARD_MARKET_MAX_AGE it is used as
it is; older, but younger than DASHBOARD_MARKET_STALE_MAX, it is still used while one
background thread reads a new one (parsing a thousand accounts costs more than a round trip:
no panel waits for it); past that, or before the first, the panel reads and the others wait
for that one read. What each member sees is cut from it by their group scope; each panel says
as of when. The live counts come from the relay, not from here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from crmportal.live.embedded import state_of_embedded_relay
from crmportal.live.render import Scope
from crmportal.live.state import BoardState
from crmportal.omtrader.concurrent import gather
from crmportal.omtrader.entities import Deal
from crmportal.omtrader.errors import OMTraderError

log = logging.getLogger(__name__)

DEALS = 200  # the newest deals read with the picture (the "last large deals" panel)


@dataclass
class Picture:
    state: BoardState
    deals: list[Deal]
    read_at: float
    taken: datetime
    source: str  # "the live relay" or "OMTrader"
    lock: threading.Lock = field(default_factory=threading.Lock)  # BoardState is not thread-safe


_latest: Picture | None = None
_reading = threading.Lock()
_refreshing = threading.Event()


def picture(omt) -> Picture:
    """The shared read: fresh, or stale while a new one is read, or read now."""
    latest = _latest
    if latest is not None:
        age = time.monotonic() - latest.read_at
        if age < settings.DASHBOARD_MARKET_MAX_AGE:
            return latest
        if age < settings.DASHBOARD_MARKET_STALE_MAX:
            _refresh_behind(omt)
            return latest
    with _reading:
        if _latest is not latest and _latest is not None:
            return _latest  # another request read it while this one waited
        return _read(omt)


def _read(omt) -> Picture:
    global _latest

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
    _latest = Picture(state, got["deals"], time.monotonic(), timezone.now(), source)
    return _latest


def _refresh_behind(omt) -> None:
    if _refreshing.is_set():
        return
    _refreshing.set()

    def refresh() -> None:
        try:
            with _reading:
                _read(omt)
        except OMTraderError as error:
            log.warning("dashboard: market read failed: %s", error.message)
        finally:
            _refreshing.clear()

    threading.Thread(target=refresh, name="dashboard-market", daemon=True).start()


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
