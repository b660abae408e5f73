"""The embedded channel layer: channels' in-memory layer, with its expiry sweep rationed.

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


class RationedInMemoryChannelLayer(InMemoryChannelLayer):
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_EVERY:
            self._swept_at = now
            super()._clean_expired()
