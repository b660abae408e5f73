"""WebSocket fan-out: who is subscribed to what, and one writer task per socket.

Events are serialized once per event and queued to each interested socket; the market and the
ledger call into the hub synchronously, the writers send asynchronously.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .runtime import Counters

MAX_QUEUE = 200_000  # frames; a consumer this far behind is dropped

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class Conn:
    """One open WebSocket."""

    def __init__(self, ws: web.WebSocketResponse, session_id: str) -> None:
        self.ws = ws
        self.session_id = session_id
        self.groups: set[int] = set()
        self.session_groups: set[int] = set()
        self.symbols: set[int] = set()
        self.queue: deque[str | bytes] = deque()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    def push(self, frame: str | bytes) -> None:
        if self.closing:
            return
        if len(self.queue) >= MAX_QUEUE:
            self.closing = True
            self.queue.clear()
            asyncio.get_running_loop().create_task(
                self.ws.close(code=1013, message=b"consumer too slow"))
            return
        self.queue.append(frame)
        self.wake.set()


class Hub:
    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.conns: set[Conn] = set()
        self.by_group: dict[int, set[Conn]] = {}
        self.symbols_of_group: Any = lambda gid: set()  # set by the app: group -> symbol ids
        # (unix time, position id, P/L as sent) of every P/L sent while tracing (control API):
        # the event times a latency benchmark measures against.
        self.profit_trace: list[tuple[float, int, str]] | None = None

    # -- publishing (called synchronously from the ledger and the market) --------------------

    def wants(self, group_id: int) -> bool:
        return bool(self.by_group.get(group_id))

    def emit(self, group_id: int, type_: str, data: Any) -> None:
        conns = self.by_group.get(group_id)
        if conns:
            text = _dumps({"type": type_, "data": data})
            for conn in conns:
                conn.push(text)
            if self.profit_trace is not None and type_.startswith("positions_"):
                self.profit_trace.append((time.time(), data["id"], _dumps(data["profit"])))

    def emit_binary(self, group_id: int, payload: str) -> None:
        conns = self.by_group.get(group_id)
        if conns:
            frame = payload.encode()
            for conn in conns:
                conn.push(frame)
            if self.profit_trace is not None and payload.startswith("s,"):
                _, position_id, profit, _ = payload.split(",", 3)
                self.profit_trace.append((time.time(), int(position_id), profit))

    def tick(self, symbol_id: int, payload: str) -> None:
        frame: bytes | None = None
        for conn in self.conns:
            if symbol_id in conn.symbols:
                if frame is None:
                    frame = payload.encode()
                conn.push(frame)

    def broadcast(self, type_: str, data: Any) -> int:
        text = _dumps({"type": type_, "data": data})
        for conn in self.conns:
            conn.push(text)
        return len(self.conns)

    def send(self, conn: Conn, type_: str, data: Any) -> None:
        conn.push(_dumps({"type": type_, "data": data}))

    # -- connections and subscriptions -------------------------------------------------------

    def add(self, conn: Conn) -> None:
        self.conns.add(conn)
        conn.task = asyncio.get_running_loop().create_task(self._writer(conn))

    def remove(self, conn: Conn) -> None:
        conn.closing = True
        self.conns.discard(conn)
        for gid in conn.groups | conn.session_groups:
            self.by_group.get(gid, set()).discard(conn)
        if conn.task is not None:
            conn.task.cancel()

    def subscribe(self, conn: Conn, group_id: int, session: bool, on: bool) -> None:
        target = conn.session_groups if session else conn.groups
        if on:
            target.add(group_id)
        else:
            target.discard(group_id)
        members = self.by_group.setdefault(group_id, set())
        if group_id in conn.groups or group_id in conn.session_groups:
            members.add(conn)
        else:
            members.discard(conn)
        conn.symbols = set()
        for gid in conn.groups | conn.session_groups:
            conn.symbols |= self.symbols_of_group(gid)

    def refresh_symbols(self) -> None:
        for conn in self.conns:
            conn.symbols = set()
            for gid in conn.groups | conn.session_groups:
                conn.symbols |= self.symbols_of_group(gid)

    async def _writer(self, conn: Conn) -> None:
        ws, queue = conn.ws, conn.queue
        try:
            while True:
                await conn.wake.wait()
                conn.wake.clear()
                while queue:
                    frame = queue.popleft()
                    if isinstance(frame, bytes):
                        await ws.send_bytes(frame)
                    else:
                        await ws.send_str(frame)
                    self.counters.events_sent += 1
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return

    async def drop_all(self, code: int = 1011) -> int:
        conns = list(self.conns)
        for conn in conns:
            conn.closing = True
            conn.queue.clear()
        await asyncio.gather(*(c.ws.close(code=code, message=b"dropped by simulator")
                               for c in conns), return_exceptions=True)
        return len(conns)
