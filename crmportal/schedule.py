"""The deployment's one small scheduler, run from process start by the process that is the
deployment's singleton, so each job runs once per deployment:

- embedded shape (LIVE_RELAY=embedded, one daphne process): that process, from the moment
  daphne starts (crmportal/live/embedded.py), whether or not anyone opens a live page;
- scale-out shape: `manage.py relay`, while it holds the Redis lock (beside the relay).

Jobs:
- money reconciliation (crmportal/money/reconcile.py) and expiry of money requests every
  MONEY_RECONCILE_EVERY seconds (one indexed query when nothing is due);
- `sync_clients` then `sync_accounts` (the client and account indexes rebuilt from every page)
  once a night at SYNC_CLIENTS_AT (HH:MM, server time zone).

`run()` calls `tick()` every second; the jobs run in a worker thread (database and OMTrader
calls block) and never overlap themselves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger("crmportal.schedule")

_state: dict = {"reconciled_at": 0.0, "synced_on": None}


async def run() -> None:
    """Tick every second until cancelled; a failing tick is logged and the next one runs."""
    log.info("schedule: started in process %s", os.getpid())
    while True:
        try:
            await tick()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one failed job must not end the scheduler
            log.exception("schedule: a job failed")
        await asyncio.sleep(1.0)


async def tick() -> None:
    now = time.monotonic()
    if now - _state["reconciled_at"] >= settings.MONEY_RECONCILE_EVERY:
        _state["reconciled_at"] = now
        await _in_worker(_reconcile)
    if _sync_due(timezone.localtime()):
        _state["synced_on"] = timezone.localdate()
        await _in_worker(_sync_indexes)


async def _in_worker(job) -> None:
    """A job in a thread of its own, with database connections of its own: a connection a
    job leaves behind is closed when it is too old or broken, as after a request."""
    def run() -> None:
        close_old_connections()
        try:
            job()
        finally:
            close_old_connections()
    await sync_to_async(run, thread_sensitive=False)()


def _sync_due(now: datetime) -> bool:
    hour, _, minute = settings.SYNC_CLIENTS_AT.partition(":")
    due = now.replace(hour=int(hour), minute=int(minute or 0), second=0, microsecond=0)
    if _state["synced_on"] is None:  # the first look: started after tonight's time, the
        # first run is tomorrow night; started before it, tonight
        _state["synced_on"] = now.date() - timedelta(days=0 if now >= due else 1)
    return now >= due and _state["synced_on"] != now.date()


def _reconcile() -> None:
    from crmportal.money.actions import expire_requests  # noqa: PLC0415 - apps are ready now
    from crmportal.money.reconcile import reconcile_pending  # noqa: PLC0415

    expire_requests()
    # One indexed query selects what is due (unknown, overdue, stored but never sent).
    for finding in reconcile_pending():
        log.info("reconcile %s: %s %s", finding.operation.reference, finding.outcome,
                 finding.detail)


NIGHTLY = ("sync_clients", "sync_accounts")


def _sync_indexes() -> None:
    for command in NIGHTLY:
        try:
            call_command(command)
        except Exception:  # noqa: BLE001 - tomorrow night tries again; the log says why
            log.exception("nightly %s failed", command)
