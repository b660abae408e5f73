"""The Django cache, as the service layer uses it: never fatal, keys per upstream.

A cache outage (Redis down) must not take pages down with it: a failed read is a miss and a
failed write is skipped, each logged.

Reference data (get_or_fetch: groups, symbols) is read on nearly every page and is large:
unpickling it per request cost 7% of the client 360 page's CPU. So each process keeps the copy
it read, beside a small stamp that is stored with the value in the shared cache; while the
shared stamp is unchanged the process's copy is used. A new value or a delete (another
process's write, the relay's invalidation) changes or removes the stamp, so every process
sees it at its next read, as before.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import caches

log = logging.getLogger("crmportal.omtrader")
T = TypeVar("T")
_MISSING = object()


class Cache:
    def __init__(self, alias: str, namespace: str):
        self.alias = alias
        self.prefix = "omtrader:" + hashlib.sha256(namespace.encode()).hexdigest()[:12] + ":"
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._copies: dict[str, tuple[str, Any]] = {}  # key -> (stamp, value) this process read

    def get(self, key: str) -> Any:
        try:
            return caches[self.alias].get(self.prefix + key)
        except Exception:
            log.warning("omtrader cache read of %s failed", key, exc_info=True)
            return None

    def set(self, key: str, value: Any, timeout: float) -> None:
        try:
            caches[self.alias].set(self.prefix + key, value, max(1, int(timeout)))
        except Exception:
            log.warning("omtrader cache write of %s failed", key, exc_info=True)

    def delete(self, key: str) -> None:
        self._copies.pop(key, None)
        try:
            caches[self.alias].delete_many([self.prefix + key, self.prefix + _stamp(key)])
        except Exception:
            log.warning("omtrader cache delete of %s failed", key, exc_info=True)

    def get_or_fetch(self, key: str, fetch: Callable[[], T], timeout: float) -> T:
        """Cached value, or fetch() once per process even when many threads miss together;
        this process's copy while the shared stamp says it is current."""
        value = self._current_copy(key)
        if value is not None:
            return value
        with self._lock(key):
            value = self._current_copy(key)
            if value is None:
                value = self._read(key)
            if value is None:
                value = fetch()
                if timeout > 0:
                    stamp = uuid.uuid4().hex
                    self.set(key, value, timeout)
                    self.set(_stamp(key), stamp, timeout)
                    self._copies[key] = (stamp, value)
        return value

    def _current_copy(self, key: str) -> Any:
        copy = self._copies.get(key)
        if copy is None:
            return None
        if self.get(_stamp(key)) != copy[0]:
            self._copies.pop(key, None)
            return None
        return copy[1]

    def _read(self, key: str) -> Any:
        """The shared value, kept as this process's copy under the stamp read before it."""
        stamp = self.get(_stamp(key))
        value = self.get(key)
        if value is not None and stamp is not None:
            self._copies[key] = (stamp, value)
        return value

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())


def _stamp(key: str) -> str:
    return key + ":stamp"
