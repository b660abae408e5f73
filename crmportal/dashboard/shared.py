"""A read of OMTrader shared by the whole process for the dashboard's panels (the market
picture, the health check's OMTrader answer).

Younger than `max_age` it is used as it is; older, but younger than `stale_max`, it is still
used while one background thread reads a new one (no panel waits for it); past that, or
before the first, the panel reads and the others asking meanwhile wait for that one read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from crmportal.omtrader.errors import OMTraderError

log = logging.getLogger(__name__)
EVERY: list[SharedRead] = []


class SharedRead:
    def __init__(self, name: str, read: Callable[[Any], Any]):
        self.name = name
        self.read = read
        self.latest: tuple[float, Any] | None = None  # (monotonic time read, value)
        self._reading = threading.Lock()
        self._refreshing = threading.Event()
        EVERY.append(self)

    def get(self, omt, max_age: float, stale_max: float):
        latest = self.latest
        if latest is not None:
            age = time.monotonic() - latest[0]
            if age < max_age:
                return latest[1]
            if age < stale_max:
                self._refresh_behind(omt)
                return latest[1]
        with self._reading:
            if self.latest is not latest and self.latest is not None:
                return self.latest[1]  # another request read it while this one waited
            return self._read(omt)

    def _read(self, omt):
        value = self.read(omt)
        self.latest = (time.monotonic(), value)
        return value

    def _refresh_behind(self, omt) -> None:
        if self._refreshing.is_set():
            return
        self._refreshing.set()

        def refresh() -> None:
            try:
                with self._reading:
                    self._read(omt)
            except OMTraderError as error:
                log.warning("dashboard: %s read failed: %s", self.name, error.message)
            finally:
                self._refreshing.clear()

        threading.Thread(target=refresh, name=f"dashboard-{self.name}", daemon=True).start()

    def forget(self) -> None:
        """Drop the shared read (tests; the next panel reads again)."""
        with self._reading:
            self.latest = None


def forget_all() -> None:
    for shared in EVERY:
        shared.forget()
