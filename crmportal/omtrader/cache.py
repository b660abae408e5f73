"""The Django cache, as the service layer uses it: never fatal, keys per upstream.

A cache outage (Redis down) must not take pages down with it: a failed read is a miss and a
failed write is skipped, each logged.
"""

from __future__ import annotations

import hashlib
import logging
import threading
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
        try:
            caches[self.alias].delete(self.prefix + key)
        except Exception:
            log.warning("omtrader cache delete of %s failed", key, exc_info=True)

    def get_or_fetch(self, key: str, fetch: Callable[[], T], timeout: float) -> T:
        """Cached value, or fetch() once per process even when many threads miss together."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock(key):
            value = self.get(key)
            if value is None:
                value = fetch()
                if timeout > 0:
                    self.set(key, value, timeout)
        return value

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())
