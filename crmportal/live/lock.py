"""One active relay per deployment: a Redis lock with a time-to-live, renewed while held.

SET key token NX PX ttl takes it; the holder renews it every ttl/4 (only while the value is
still its own token) and deletes it on a clean exit. A holder that dies stops renewing, so the
key expires within `ttl` of its last renewal. A waiting relay does not poll blindly: it sleeps
until the moment the key would expire (PTTL), so it takes over within `ttl` of the holder's
death, not `ttl` plus a polling interval. A holder that cannot renew (Redis unreachable, or
the key expired under it) stops relaying at once: two relays must never run.
"""

from __future__ import annotations

import os
import socket
import uuid

from redis import asyncio as aioredis

KEY = "crmportal:live:relay-lock"

_RENEW = """
if redis.call("get", KEYS[1]) == ARGV[1] then
  return redis.call("pexpire", KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call("get", KEYS[1]) == ARGV[1] then
  return redis.call("del", KEYS[1])
end
return 0
"""


class RelayLock:
    def __init__(self, url: str, ttl: float, key: str = KEY):
        self.renew_every = ttl / 4
        self.redis = aioredis.from_url(url, socket_timeout=self.renew_every,
                                       socket_connect_timeout=self.renew_every)
        self.ttl_ms = int(ttl * 1000)
        self.key = key
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def acquire(self) -> bool:
        return bool(await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))

    async def renew(self) -> bool:
        return bool(await self.redis.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.token)

    async def expires_in(self) -> float:
        """Seconds until the key expires unless renewed (0 when there is no key)."""
        left = await self.redis.pttl(self.key)
        return max(left, 0) / 1000 if left != -1 else self.ttl_ms / 1000

    async def holder(self) -> str | None:
        value = await self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    async def close(self) -> None:
        await self.redis.aclose()
