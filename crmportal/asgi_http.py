"""Django's ASGI handler, made cheap for a project whose views and middleware are all sync.

Two costs of Django's own ASGIHandler, measured under daphne (bench/pages.py --throughput):
- The middleware chain is built for async: every middleware here is sync, so the request
  went to a worker thread for the middleware, back to the event loop for the innermost
  handler (async_to_sync), and to the thread again for the view (sync_to_async). Here the
  whole chain is built sync (as under WSGI) and entered once: one hop per request.
- Each request ran in a ThreadSensitiveContext with a brand new one-thread executor, whose
  thread was joined afterwards from yet another new thread: two thread starts per request.
  Here each request borrows a one-thread executor kept from earlier requests.
The semantics stay Django's: all of one request's sync code runs in one thread, many requests
run at once, and everything outside the chain (body, signals, streaming) is ASGIHandler's.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler

KEEP_IDLE = 64  # idle request threads kept for reuse; beyond this a finished one is ended


class RequestThreads:
    """One-thread executors lent to one request at a time."""

    def __init__(self, keep: int = KEEP_IDLE):
        self.keep = keep
        self._idle: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()

    def borrow(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def idle_count(self) -> int:
        return len(self._idle)

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)


class PooledASGIHandler(ASGIHandler):
    def __init__(self):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
        self.threads = RequestThreads()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.borrow()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)
