"""Run independent upstream calls together, so a page needing N of them costs ~one round trip.

    got = gather(client=lambda: omt.get_client(7), accounts=lambda: omt.list_accounts(client_id=7))
    got["client"], got["accounts"]

The calls run in one bounded thread pool shared by the process, each in a copy of the
caller's context (request id, active time zone). gather waits for all of them, then returns
the results by name or re-raises the first error in argument order. `start(**calls)` sends
them off and returns at once; `.wait()` is gather's answer, so the caller can do its own
(database) work while OMTrader answers. Inside a pooled call a
nested gather runs its calls in turn, so the pool cannot deadlock on itself. Meant for
OMTrader calls; keep database work in the calling thread.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import tzinfo
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone

T = TypeVar("T")
R = TypeVar("R")

STARTED_WAIT = 0.02  # seconds start() waits for a call to begin (a busy pool: no longer)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_in_pool: contextvars.ContextVar[bool] = contextvars.ContextVar("omtrader_in_pool", default=False)


class Pending:
    """Calls under way; wait() returns their results by name (or raises the first error)."""

    def __init__(self, futures: dict[str, Future]):
        self._futures = futures

    def wait(self) -> dict[str, Any]:
        return _collect(self._futures)


def gather(**calls: Callable[[], Any]) -> dict[str, Any]:
    if len(calls) <= 1 or _in_pool.get():
        return _in_turn(calls)
    return start(**calls).wait()


def start(**calls: Callable[[], Any]) -> Pending:
    """The calls, started in the pool (in turn, now, when already inside it). Returns once
    each call has begun (STARTED_WAIT at most): the caller's own work would otherwise hold
    the interpreter lock for up to a switch interval before a request is even sent."""
    if _in_pool.get():
        return Pending(_run_in_turn(calls))
    begun = {name: threading.Event() for name in calls}
    pending = Pending({name: _submit(call, begun[name]) for name, call in calls.items()})
    for event in begun.values():
        event.wait(STARTED_WAIT)
    return pending


def gather_each(call: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """call(item) for every item, concurrently; results in the items' order."""
    results = gather(**{str(i): (lambda item=item: call(item)) for i, item in enumerate(items)})
    return [results[str(i)] for i in range(len(results))]


def shutdown() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def _submit(call: Callable[[], Any], begun: threading.Event | None = None) -> Future:
    context = contextvars.copy_context()
    zone = timezone.get_current_timezone()
    return _executor().submit(context.run, _pooled, call, begun, zone)


def _pooled(call: Callable[[], Any], begun: threading.Event | None, zone: tzinfo) -> Any:
    # Django keeps the active zone in an asgiref Local, which a copied context does not carry
    # into another thread (asgiref 3.13 ties it to the thread that set it): set it again here.
    timezone.activate(zone)
    _in_pool.set(True)
    if begun is not None:
        begun.set()
    return call()


def _in_turn(calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    return _collect(_run_in_turn(calls))


def _run_in_turn(calls: dict[str, Callable[[], Any]]) -> dict[str, Future]:
    futures: dict[str, Future] = {}
    for name, call in calls.items():
        future: Future = Future()
        try:
            future.set_result(call())
        except BaseException as error:  # noqa: BLE001 - re-raised by _collect after the others
            future.set_exception(error)
        futures[name] = future
    return futures


def _collect(futures: dict[str, Future]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    first_error: BaseException | None = None
    for name, future in futures.items():
        try:
            results[name] = future.result()
        except BaseException as error:  # noqa: BLE001 - the first one is re-raised below
            first_error = first_error or error
    if first_error is not None:
        raise first_error
    return results


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                size = getattr(settings, "OMTRADER_CONCURRENCY", settings.OMTRADER_POOL_SIZE)
                _pool = ThreadPoolExecutor(max_workers=int(size), thread_name_prefix="omtrader")
    return _pool
