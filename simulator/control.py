"""The control API under /_sim (only with --control; /_sim/health is always on)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from .envelope import ApiError, fail, invalid
from .runtime import SIM, Simulator
from .timeutil import rfc3339

FAULT_KINDS = ("status", "malformed", "wrong_type")
# Kinds that carry the request out and then lose the reply (a 5xx, a dropped connection, an
# answer later than the client waits), and one that only delays it.
LOST_REPLY_KINDS = ("after_status", "after_close", "after_hang")
DELAY_KIND = "delay"
MAX_STEP_SECONDS = 7 * 86400
_TASKS: set[asyncio.Task[None]] = set()


async def _json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise invalid({"body": "must be valid JSON"}) from None
    if not isinstance(data, dict):
        raise invalid({"body": "must be a JSON object"})
    return data


def _number(data: dict[str, Any], name: str, default: float | None = None) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid({name: "must be a number"})
    return float(value)


def _guard(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request, request.app[SIM])
        except ApiError as exc:
            return fail(exc.status, exc.message, exc.data)
    return wrapped


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@_guard
async def control(request: web.Request, s: Simulator) -> web.Response:
    errors = s.knobs.update(await _json(request))
    if errors:
        raise invalid(errors, "invalid knobs")
    return web.json_response(s.knobs.as_dict())


@_guard
async def drop_ws(request: web.Request, s: Simulator) -> web.Response:
    return web.json_response({"dropped": await s.hub.drop_all()})


@_guard
async def reset(request: web.Request, s: Simulator) -> web.Response:
    s.reset()
    s.hub.refresh_symbols()
    return web.json_response({"knobs": s.knobs.as_dict()})


@_guard
async def counters(request: web.Request, s: Simulator) -> web.Response:
    # sim_time: the simulator's clock, ahead of the wall clock by every market step taken
    return web.json_response({**s.counters.as_dict(), "sim_time": rfc3339(s.store.now_ns())})


@_guard
async def fault(request: web.Request, s: Simulator) -> web.Response:
    data = await _json(request)
    errors: dict[str, str] = {}
    kind = data.get("kind", "status")
    kinds = (*FAULT_KINDS, *LOST_REPLY_KINDS, DELAY_KIND)
    if kind not in kinds:
        errors["kind"] = f"must be one of {', '.join(kinds)}"
    if not isinstance(data.get("path"), str) or not data["path"].startswith("/"):
        errors["path"] = "must be a path starting with /"
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        errors["count"] = "must be a positive integer"
    status = data.get("status", 500)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        errors["status"] = "must be an HTTP error status"
    if kind == "wrong_type" and not isinstance(data.get("field"), str):
        errors["field"] = "required for wrong_type"
    if data.get("fields") is not None and not isinstance(data["fields"], dict):
        errors["fields"] = "must be an object of field -> message"
    seconds = data.get("seconds", 30)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= 600:
        errors["seconds"] = "must be a number of seconds between 0 and 600"
    if errors:
        raise invalid(errors, "invalid fault")
    spec = {"method": str(data.get("method", "GET")).upper(), "path": data["path"],
            "count": count, "kind": kind, "status": status, "field": data.get("field"),
            "value": data.get("value"), "fields": data.get("fields"),
            "seconds": float(seconds)}
    s.faults.append(spec)
    return web.json_response(s.faults)


@_guard
async def step(request: web.Request, s: Simulator) -> web.Response:
    seconds = _number(await _json(request), "seconds", 1)
    if not 0 < seconds <= MAX_STEP_SECONDS:
        raise invalid({"seconds": f"must be between 0 and {MAX_STEP_SECONDS}"})
    whole, rest = int(seconds), seconds - int(seconds)
    for dt in [1.0] * whole + ([rest] if rest > 1e-9 else []):
        s.store.time_offset += dt
        s.market.step(dt, s.knobs.event_rate)
    return web.json_response({"seconds": seconds, "sim_time": rfc3339(s.store.now_ns())})


@_guard
async def shock(request: web.Request, s: Simulator) -> web.Response:
    data = await _json(request)
    pct = _number(data, "pct")
    if pct <= -100:
        raise invalid({"pct": "must be above -100"})
    sym = s.store.symbol_by_code.get(str(data.get("symbol", "")))
    if sym is None and isinstance(data.get("symbol_id"), int):
        sym = s.store.symbols.get(data["symbol_id"])
    if sym is None:
        raise ApiError(404, f"unknown symbol {data.get('symbol', data.get('symbol_id'))!r}")
    q = s.market.shock(sym["id"], pct)
    return web.json_response({"symbol_id": sym["id"], "symbol": sym["symbol"], "bid": q[0],
                              "ask": q[1]})


@_guard
async def ws_send(request: web.Request, s: Simulator) -> web.Response:
    data = await _json(request)
    gid, raw = data.get("group_id"), data.get("raw")
    if isinstance(gid, bool) or not isinstance(gid, int) or not isinstance(raw, str):
        raise invalid({"group_id": "must be an integer", "raw": "must be a string"})
    conns = s.hub.by_group.get(gid, set())
    frame: str | bytes = raw.encode() if data.get("binary") else raw
    for conn in conns:
        conn.push(frame)
    return web.json_response({"sockets": len(conns)})


@_guard
async def trace(request: web.Request, s: Simulator) -> web.Response:
    """POST {"on": true|false} starts (afresh) or stops tracing P/L; GET takes what was traced."""
    if request.method == "POST":
        on = (await _json(request)).get("on")
        if not isinstance(on, bool):
            raise invalid({"on": "must be a boolean"})
        s.hub.profit_trace = [] if on else None
        return web.json_response({"on": on})
    events, s.hub.profit_trace = s.hub.profit_trace, (
        [] if s.hub.profit_trace is not None else None)
    return web.json_response({"on": events is not None, "events": events or []})


@_guard
async def session_logout(request: web.Request, s: Simulator) -> web.Response:
    sid = (await _json(request)).get("session_id")
    if not isinstance(sid, str):
        raise invalid({"session_id": "must be a string"})
    session = s.auth.logout(sid)
    sent = s.hub.broadcast("session_logout", {"session_id": sid})
    if session is not None and session.socket is not None:
        conn = session.socket
        conn.closing = True
        task = asyncio.get_running_loop().create_task(_close_after_flush(conn))
        _TASKS.add(task)
        task.add_done_callback(_TASKS.discard)
    return web.json_response({"sockets": sent, "known": session is not None})


async def _close_after_flush(conn: Any) -> None:
    # Let the writer deliver session_logout before the close frame.
    for _ in range(100):
        if not conn.queue:
            break
        conn.wake.set()
        await asyncio.sleep(0.01)
    await conn.ws.close(code=1000, message=b"session logout")


def add_routes(app: web.Application, enabled: bool) -> None:
    app.router.add_get("/_sim/health", health)
    if not enabled:
        return
    app.router.add_post("/_sim/control", control)
    app.router.add_get("/_sim/control", control)
    app.router.add_post("/_sim/drop_ws", drop_ws)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_get("/_sim/counters", counters)
    app.router.add_post("/_sim/fault", fault)
    app.router.add_post("/_sim/market/step", step)
    app.router.add_post("/_sim/market/shock", shock)
    app.router.add_post("/_sim/ws/send", ws_send)
    app.router.add_post("/_sim/session_logout", session_logout)
    app.router.add_post("/_sim/trace", trace)
    app.router.add_get("/_sim/trace", trace)
