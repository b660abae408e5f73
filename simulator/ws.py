"""WebSocket endpoints of docs/omtrader-api.md §8: the session check and the manager event
stream."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSMsgType, web

from .envelope import fail, ok
from .hub import Conn
from .runtime import SIM, Simulator

SUBSCRIPTIONS = {
    "subscribe_group": (False, True),
    "unsubscribe_group": (False, False),
    "subscribe_group_session": (True, True),
    "unsubscribe_group_session": (True, False),
}


async def check_session(request: web.Request) -> web.Response:
    """POST /ws/v1/{session_id}: 200, or 400 "session is already used", or 401."""
    s: Simulator = request.app[SIM]
    session = s.auth.by_session.get(request.match_info["session_id"])
    if session is None or not session.valid():
        return fail(401, "unknown or expired session")
    if session.socket is not None:
        return fail(400, "session is already used")
    return ok({"session_id": session.session_id})


async def stream(request: web.Request) -> web.StreamResponse:
    """GET /ws/v1?session_id=…&access_token=…: the event stream of one manager session."""
    s: Simulator = request.app[SIM]
    session = s.auth.by_session.get(request.query.get("session_id", ""))
    token = request.query.get("access_token", "")
    if session is None or session.access_token != token or not session.valid():
        return fail(401, "invalid or expired session_id / access_token")
    if session.socket is not None:
        return fail(400, "session is already used")
    ws = web.WebSocketResponse(timeout=2.0, max_msg_size=1 << 20, compress=False)
    if not ws.can_prepare(request).ok:
        return fail(400, "expected a WebSocket upgrade")
    conn = Conn(ws, session.session_id)
    session.socket = conn
    await ws.prepare(request)
    s.hub.add(conn)
    s.counters.ws_open += 1
    s.counters.ws_total += 1
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                if msg.data == "9":
                    await ws.send_str("10")
                else:
                    handle_text(request.app[SIM], conn, msg.data)
            elif msg.type == WSMsgType.BINARY:
                s.hub.send(conn, "error", {"message": "binary frames are not accepted"})
    finally:
        request.app[SIM].hub.remove(conn)
        s.counters.ws_open -= 1
        if session.socket is conn:
            session.socket = None
    return ws


def group_of(data: Any) -> int | None:
    if isinstance(data, dict):
        data = data.get("group_id")
    if isinstance(data, int) and not isinstance(data, bool):
        return data
    return None


def handle_text(s: Simulator, conn: Conn, text: str) -> None:
    try:
        msg = json.loads(text)
    except ValueError:
        s.hub.send(conn, "error", {"message": "frames must be JSON objects or the text 9"})
        return
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        s.hub.send(conn, "error", {"message": "a frame needs a string 'type'"})
        return
    kind = msg["type"]
    if kind == "ping":
        s.hub.send(conn, "pong", None)
        return
    if kind not in SUBSCRIPTIONS:
        s.hub.send(conn, "error", {"message": f"unsupported event type {kind!r}"})
        return
    gid = group_of(msg.get("data"))
    if gid is None:
        s.hub.send(conn, "error", {"message": f"{kind}: data must be a group id"})
        return
    if gid not in s.store.groups:
        s.hub.send(conn, "error", {"message": f"{kind}: unknown group {gid}"})
        return
    session, on = SUBSCRIPTIONS[kind]
    s.hub.subscribe(conn, gid, session, on)
    verb = "subscribed to" if on else "unsubscribed from"
    scope = "group sessions of" if session else "group"
    s.hub.send(conn, "info", {"message": f"{verb} {scope} {gid}", "group_id": gid})
