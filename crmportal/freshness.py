"""The rule that keeps the portal's local indexes of OMTrader records fresh (the client index,
the account index): built on the first list ever, then checked for changes at most every
`max_age` seconds, by one request at a time across processes while the others answer from
the index. Each index says how to check and how to rebuild (its own `index.py`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, QuerySet

from crmportal.omtrader.errors import OMTraderError, Rejected

log = logging.getLogger(__name__)

LOCK_SECONDS = 900


@dataclass(frozen=True)
class Freshness:
    """What a list can say about the index it answered from."""

    checked_at: datetime | None = None
    building: bool = False
    error: str = ""
    reconcile_needed: bool = False


@dataclass(frozen=True)
class LocalIndex:
    """One index as `ensure_fresh` sees it. Its cache keys start with `key`."""

    key: str
    noun: str
    max_age_setting: str
    load_state: Callable[[], Any]
    check_changes: Callable[[Any, Any], None]
    rebuild: Callable[[Any], int]
    checked_at: Callable[[Any], datetime | None]

    def freshness(self, state) -> Freshness:
        return Freshness(self.checked_at(state), reconcile_needed=state.reconcile_needed)


@dataclass(frozen=True)
class Probe:
    newest: datetime | None
    count: int
    total: int | None
    unchanged: bool


def probe(rows: QuerySet, listing: Callable[..., Any]) -> Probe:
    """The change check's one small call: the upstream's newest record (by `updated_at`) and
    its total. Nothing newer than the index's newest and the same count: nothing changed (the
    usual case)."""
    newest = rows.aggregate(newest=Max("updated_at"))["newest"]
    count = rows.count()
    first = listing(page=1, limit=1, sort_by="updated_at", direction="DESC")
    top = first.items[0].updated_at if first.items else None
    unchanged = first.total == count and (top is None or (newest is not None and top <= newest))
    return Probe(newest, count, first.total, unchanged)


def ensure_fresh(omt, index: LocalIndex) -> Freshness:
    state = index.load_state()
    if state.full_synced_at is None:
        with lock(index) as mine:
            if not mine:
                return Freshness(building=True)
            if index.load_state().full_synced_at is None:
                index.rebuild(omt)
        return index.freshness(index.load_state())
    max_age = getattr(settings, index.max_age_setting)
    if max_age and not cache.add(f"{index.key}:checked", 1, max_age):
        return index.freshness(state)
    with lock(index) as mine:
        if not mine:
            return index.freshness(state)
        try:
            index.check_changes(omt, state)
        except OMTraderError as error:
            log.warning("%s index: change check failed: %s", index.noun, error.message)
            why = ("refused the change check" if isinstance(error, Rejected)
                   else "did not answer the change check")
            return Freshness(index.checked_at(state), error=f"OMTrader {why}; the list shows "
                             "the portal's copy as of the time below.")
    return index.freshness(index.load_state())


@contextmanager
def lock(index: LocalIndex) -> Iterator[bool]:
    """One index writer at a time across processes (the cache is shared when Redis is)."""
    key = f"{index.key}:lock"
    mine = cache.add(key, 1, LOCK_SECONDS)
    try:
        yield mine
    finally:
        if mine:
            cache.delete(key)
