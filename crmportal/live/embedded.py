"""The embedded relay (LIVE_RELAY=embedded): one per daphne process, started by the first
socket that connects and stopped with the server (daphne_close.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings

from crmportal.live.relay import Relay

log = logging.getLogger("crmportal.live")

_embedded: dict[str, Any] = {"relay": None, "task": None, "loop": None}


def ensure_embedded_relay() -> Relay | None:
    """Start the relay in this process's event loop unless it runs (LIVE_RELAY=embedded only)."""
    if settings.LIVE_RELAY != "embedded":
        return None
    loop = asyncio.get_running_loop()
    task = _embedded["task"]
    if task is None or task.done() or _embedded["loop"] is not loop:
        relay = Relay()
        _embedded.update(relay=relay, loop=loop,
                         task=loop.create_task(relay.run(), name="live-relay"))
        _embedded["task"].add_done_callback(_relay_ended)
    return _embedded["relay"]


def stop_embedded_relay() -> asyncio.Task | None:
    """Cancel the embedded relay (the server is stopping): its task, to wait for, or None."""
    task = _embedded["task"]
    if task is None or task.done():
        return None
    task.cancel()
    return task


def state_of_embedded_relay(timeout: float = 2.0):
    """A copy of the embedded relay's market picture (BoardState.copy, made on its loop), for
    code in another thread of this process; None when no relay runs here or it is not live."""
    relay, loop = embedded_relay(), _embedded["loop"]
    if relay is None or loop is None or not relay.ready or relay.status.state != "live":
        return None
    try:
        if asyncio.get_running_loop() is loop:
            return None  # on the loop itself: waiting for it would never end
    except RuntimeError:
        pass  # no loop in this thread: the usual case (a sync view's worker thread)

    async def copy():
        return relay.state.copy()

    return asyncio.run_coroutine_threadsafe(copy(), loop).result(timeout)


def embedded_relay() -> Relay | None:
    task = _embedded["task"]
    return _embedded["relay"] if task is not None and not task.done() else None


def _relay_ended(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("live relay ended with an error; the next socket restarts it",
                  exc_info=error)
