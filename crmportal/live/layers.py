"""The channel layers: the embedded one (in-memory) and the scale-out one (Redis).

Embedded: channels' in-memory layer, with its expiry sweep rationed.

channels' InMemoryChannelLayer sweeps every channel and every group member for expired
entries on every receive. The live board makes one receive per socket per update, so with 50
sockets that sweep ran 50 times per market step over all 50 sockets: most of the layer's cost.
Expiry is measured in seconds (messages after `expiry`, memberships after `group_expiry`), so
one sweep a second expires the same things at most a second later.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer

SWEEP_EVERY = 1.0
# channels_redis waits for a message with BZPOPMIN blocking 5 s; redis-py 8 gives up reading a
# socket after 5 s by default, so every receive that waited the full 5 s raised TimeoutError
# and ended its consumer, or the relay (django/channels_redis#422). Reads may take longer.
REDIS_SOCKET_TIMEOUT = 30.0


def embedded_layer() -> dict:
    return {"BACKEND": "crmportal.live.layers.RationedInMemoryChannelLayer",
            "CONFIG": {"capacity": 500}}


def redis_layer(url: str, **config) -> dict:
    return {"BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_timeout": REDIS_SOCKET_TIMEOUT}],
                       "capacity": 500, "expiry": 30, **config}}


class RationedInMemoryChannelLayer(InMemoryChannelLayer):
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_EVERY:
            self._swept_at = now
            super()._clean_expired()
