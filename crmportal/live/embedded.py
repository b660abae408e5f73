"""The embedded relay (LIVE_RELAY=embedded): one per daphne process, started by the first
socket that connects and stopped with the server (daphne_close.py).

The scheduler (crmportal/schedule.py) does not wait for a socket: in the embedded shape this
daphne process is the deployment's only one, so it starts the scheduler as soon as daphne's
event loop runs (`start_scheduler_with_daphne`, from LiveConfig.ready). A deployment where
nobody opens a live page still reconciles money and syncs clients nightly."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings

from crmportal import schedule
from crmportal.live.relay import Relay

log = logging.getLogger("crmportal.live")

_embedded: dict[str, Any] = {"relay": None, "task": None, "loop": None, "scheduler": None}


def start_scheduler_with_daphne() -> None:
    """Called while daphne loads the application, before its reactor runs: the scheduler
    starts on the reactor's event loop once it runs (never in a process that does not run
    it, such as `manage.py` commands, which load daphne's modules too)."""
    if settings.LIVE_RELAY != "embedded":
        return  # scale-out: `manage.py relay` runs it under the Redis lock
    from twisted.internet import reactor  # noqa: PLC0415 - daphne installed the asyncio reactor

    reactor.callLater(0, ensure_embedded_scheduler)


def ensure_embedded_scheduler() -> None:
    loop = asyncio.get_running_loop()
    task = _embedded["scheduler"]
    if task is None or task.done() or task.get_loop() is not loop:
        _embedded["scheduler"] = loop.create_task(schedule.run(), name="schedule")


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


def stop_embedded_relay() -> list[asyncio.Task]:
    """Cancel the embedded relay and the scheduler (the server is stopping): the tasks to
    wait for."""
    running = [task for task in (_embedded["task"], _embedded["scheduler"])
               if task is not None and not task.done()]
    for task in running:
        task.cancel()
    return running


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
