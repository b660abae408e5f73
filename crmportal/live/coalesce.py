"""Per-row coalescing: at most `rate` updates per row per second, bursts of `burst`.

A token bucket per row (GCRA-style): a row that changes rarely is sent at once; a row that
changes faster than `rate` is held back, and because only the row's id is remembered (the
state holds the latest values), whatever goes out when the bucket refills is the newest state.
Nothing is queued per change, so holding a row back costs nothing and the last state always
arrives.
"""

from __future__ import annotations


class RowLimiter:
    def __init__(self, rate: float, burst: float = 2.0):
        self.rate = float(rate)
        self.burst = float(burst)
        self._tokens: dict[object, tuple[float, float]] = {}

    def allow(self, key: object, now: float) -> bool:
        tokens, last = self._tokens.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._tokens[key] = (tokens, now)
            return False
        self._tokens[key] = (tokens - 1.0, now)
        return True

    def forget(self, key: object) -> None:
        self._tokens.pop(key, None)

    def __len__(self) -> int:
        return len(self._tokens)
