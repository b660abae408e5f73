"""How many live sockets each member holds open, counted across processes in the Django cache
(Redis in scale-out; per process with the local-memory cache of the embedded default, where
there is one process).

Per member one cache entry maps each socket's channel name to the end of its lease. A socket
claims a lease before it is accepted, renews it on every re-check and releases it on
disconnect; the lease of a socket whose process died runs out by itself. Changes happen under
a short lock (`cache.add` as a mutex), so a burst of parallel connects cannot pass the limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

LOCK_TTL = 5  # seconds; a lock left by a crashed holder expires after this
LOCK_WAIT = 6.0  # longer than LOCK_TTL: a dead holder's lock always runs out while waiting


class Busy(Exception):
    pass


def lease_seconds() -> float:
    """Two missed re-checks and some slack: then the socket is taken for gone."""
    return 2 * settings.LIVE_RECHECK_SECONDS + 10


def _key(user_id: int) -> str:
    return f"live:sockets:{int(user_id)}"


@contextmanager
def _locked(user_id: int) -> Iterator[None]:
    lock = _key(user_id) + ":lock"
    deadline = time.monotonic() + LOCK_WAIT
    while not cache.add(lock, 1, LOCK_TTL):
        if time.monotonic() > deadline:
            raise Busy(lock)
        time.sleep(0.005)  # the Django cache has no blocking lock: a short spin (in a thread)
    try:
        yield
    finally:
        cache.delete(lock)


def _live(user_id: int, now: float) -> dict[str, float]:
    leases = cache.get(_key(user_id)) or {}
    return {channel: until for channel, until in leases.items() if until > now}


def _store(user_id: int, leases: dict[str, float]) -> None:
    if leases:
        cache.set(_key(user_id), leases, int(lease_seconds()) + 60)
    else:
        cache.delete(_key(user_id))


def claim(user_id: int, channel: str, limit: int, now: float | None = None) -> int | None:
    """Lease a place for this socket: how many the member holds then, or None (at the limit)."""
    now = time.time() if now is None else now
    try:
        with _locked(user_id):
            leases = _live(user_id, now)
            if channel not in leases and len(leases) >= limit:
                return None
            leases[channel] = now + lease_seconds()
            _store(user_id, leases)
            return len(leases)
    except Busy:
        return None  # fail closed; the browser retries


def renew(user_id: int, channel: str) -> None:
    now = time.time()
    try:
        with _locked(user_id):
            leases = _live(user_id, now)
            leases[channel] = now + lease_seconds()
            _store(user_id, leases)
    except Busy:
        pass  # the lease outlives a missed renewal


def release(user_id: int, channel: str) -> None:
    now = time.time()
    try:
        with _locked(user_id):
            leases = _live(user_id, now)
            leases.pop(channel, None)
            _store(user_id, leases)
    except Busy:
        pass  # the lease runs out by itself


def held(user_id: int, now: float | None = None) -> int:
    return len(_live(user_id, time.time() if now is None else now))
