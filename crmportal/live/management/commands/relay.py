"""`manage.py relay`: the live relay as its own process (scale-out), one active at a time.

Needs REDIS_URL: the relay and the daphne processes meet in the Redis channel layer, and a
Redis lock (crmportal/live/lock.py) keeps a second relay waiting until the first is gone; the
lock holder also runs the deployment's scheduler (crmportal/schedule.py). Run
the daphne processes with LIVE_RELAY=external (the default when REDIS_URL is set) so they do
not start their own. SIGTERM or Ctrl-C stops it cleanly and frees the lock at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crmportal import schedule
from crmportal.live.lock import RelayLock
from crmportal.live.relay import Relay

log = logging.getLogger("crmportal.live")


class Command(BaseCommand):
    help = "Run the live relay (OMTrader events -> browsers) in its own process, behind a lock."

    def add_arguments(self, parser):
        parser.add_argument("--source", choices=("ws", "poll"), default=None,
                            help="event source (default: LIVE_SOURCE)")

    def handle(self, *args, **options):
        if not settings.REDIS_URL:
            raise CommandError(
                "manage.py relay needs REDIS_URL: the relay reaches the portal processes through "
                "the Redis channel layer. Without Redis the relay runs inside daphne "
                "(LIVE_RELAY=embedded)."
            )
        asyncio.run(run(options["source"]))


async def run(source: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    ttl = settings.LIVE_RELAY_LOCK_TTL
    lock = RelayLock(settings.REDIS_URL, ttl)
    waiting_for = None
    try:
        while not stop.is_set():
            try:
                held = await lock.acquire()
            except OSError as error:
                log.warning("relay: Redis unreachable (%s); retrying", error)
                held = False
            except Exception as error:  # noqa: BLE001 - redis' own errors: retry
                log.warning("relay: Redis error (%s); retrying", error)
                held = False
            if not held:
                holder = await _quietly(lock.holder())
                if holder != waiting_for:
                    log.info("relay: another relay holds the lock (%s); waiting", holder)
                    waiting_for = holder
                await _wait(stop, await _until_expiry(lock))
                continue
            waiting_for = None
            log.info("relay: lock taken (%s); relaying", lock.token)
            await _relay_while_held(lock, source, stop, ttl)
    finally:
        with contextlib.suppress(Exception):
            await lock.release()
        await _quietly(lock.close())
        log.info("relay: stopped")


async def _relay_while_held(lock: RelayLock, source: str | None, stop: asyncio.Event,
                            ttl: float) -> None:
    relay = Relay(source=source)
    relaying = asyncio.create_task(relay.run(), name="relay")
    # The deployment's scheduler runs where the lock is held, so once per deployment.
    scheduling = asyncio.create_task(schedule.run(), name="schedule")
    keeping = asyncio.create_task(_keep(lock, ttl), name="lock")
    stopping = asyncio.create_task(stop.wait(), name="stop")
    done, _ = await asyncio.wait({relaying, scheduling, keeping, stopping},
                                 return_when=asyncio.FIRST_COMPLETED)
    for task in (relaying, scheduling, keeping, stopping):
        task.cancel()
    await asyncio.gather(relaying, scheduling, keeping, stopping, return_exceptions=True)
    if relaying in done and not relaying.cancelled() and relaying.exception():
        log.error("relay: ended with an error", exc_info=relaying.exception())
    with contextlib.suppress(Exception):
        await lock.release()
    if keeping in done:
        await _wait(stop, 1.0)


async def _until_expiry(lock: RelayLock) -> float:
    """How long a waiting relay sleeps: until the holder's key would expire (a dead holder's
    successor then starts at once), at most one renewal interval, at least 10 ms."""
    left = await _quietly(lock.expires_in())
    return min(max(left if left is not None else lock.renew_every, 0.01), lock.renew_every)


async def _keep(lock: RelayLock, ttl: float) -> None:
    """Renew the lock every ttl/4; return (and so stop relaying) the moment it is not ours."""
    while True:
        await asyncio.sleep(lock.renew_every)
        try:
            if not await lock.renew():
                log.error("relay: the lock expired under this relay; stopping")
                return
        except Exception as error:  # noqa: BLE001 - cannot prove we hold it: stop
            log.error("relay: could not renew the lock (%s); stopping", error)
            return


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _quietly(awaitable):
    try:
        return await awaitable
    except Exception:  # noqa: BLE001
        return None
