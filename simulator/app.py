"""The aiohttp application: routes, the request middleware (knobs, faults, auth, envelope),
and the background tasks (market clock, persistence)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from typing import Any

from aiohttp import web
from aiohttp.web_urldispatcher import MatchInfoError

from . import control, ws
from .api import NON_STRICT, ROUTES
from .config import Options, parse_args
from .envelope import ApiError, Result, body, fail, ok, respond
from .runtime import SIM, Simulator

MARKET_INTERVAL = 0.25  # seconds between market steps in real time
SAVE_API_DELAY = 1.0
SAVE_MARKET_EVERY = 15.0
LOGIN_PATH = "/api/v1/oauth2/login"
PUBLIC = frozenset({LOGIN_PATH, "/ws/v1/{session_id}", "/ws/v1"})

_chaos = random.Random()  # latency jitter and error rate: not part of the seeded market


def route_pattern(request: web.Request) -> str | None:
    info = request.match_info
    if isinstance(info, MatchInfoError):
        return None
    resource = info.route.resource
    return resource.canonical if resource is not None else None


def take_fault(s: Simulator, method: str, path: str, pattern: str) -> dict[str, Any] | None:
    for spec in s.faults:
        if spec["method"] == method and spec["path"] in (path, pattern):
            spec["count"] -= 1
            if spec["count"] <= 0:
                s.faults.remove(spec)
            return spec
    return None


def apply_wrong_type(data: Any, field: str, value: Any) -> None:
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        for row in data["records"]:
            if isinstance(row, dict):
                row[field] = value
    elif isinstance(data, dict):
        data[field] = value


@web.middleware
async def api_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    pattern = route_pattern(request)
    if pattern is not None and pattern.startswith("/_sim/"):
        return await handler(request)
    s = request.app[SIM]
    method = request.method
    s.counters.requests[f"{method} {pattern or request.path}"] += 1
    if pattern is None:
        status = request.match_info.http_exception.status  # type: ignore[attr-defined]
        return fail(status, f"no route for {method} {request.path}")
    knobs = s.knobs
    upgrade = pattern == "/ws/v1"
    if knobs.latency_ms or knobs.jitter_ms:
        await asyncio.sleep((knobs.latency_ms + _chaos.uniform(0, knobs.jitter_ms)) / 1000)
    if knobs.strict_paths and pattern in NON_STRICT:
        return fail(404, f"no route for {method} {request.path} (strict paths)")
    spec = take_fault(s, method, request.path, pattern) if s.faults else None
    if spec is not None and spec["kind"] == "status":
        fields = spec.get("fields")
        return fail(spec["status"], "injected fault", {"fields": fields} if fields else None)
    if spec is not None and spec["kind"] == "malformed":
        return web.Response(body=b'{"success": true, "code": 200, "data": {"rec',
                            content_type="application/json")
    if spec is not None and spec["kind"] == control.DELAY_KIND:
        await asyncio.sleep(spec["seconds"])
    if knobs.error_rate and not upgrade and _chaos.random() < knobs.error_rate:
        return fail(knobs.error_status, "simulated upstream error")
    if pattern not in PUBLIC:
        session = s.auth.bearer(request.headers.get("Authorization"))
        if session is None:
            return fail(401, "missing, invalid or expired access token")
        request["session"] = session
    try:
        result = await handler(request)
    except ApiError as exc:
        return fail(exc.status, exc.message, exc.data)
    if not isinstance(result, Result):
        return result
    if spec is not None and spec["kind"] in control.LOST_REPLY_KINDS:
        return await lose_reply(request, spec, result)
    if spec is not None and spec["kind"] == "wrong_type":  # patch a copy, never the stored records
        payload = json.loads(json.dumps(body(result.data, result.status)))
        apply_wrong_type(payload["data"], spec["field"], spec["value"])
        return respond(payload, result.status)
    return ok(result.data, result.status)


async def lose_reply(request: web.Request, spec: dict[str, Any], result: Result
                     ) -> web.StreamResponse:
    """The write was carried out; the client does not learn it: a 5xx, the connection closed
    without an answer, or the answer held back past the client's read timeout."""
    if spec["kind"] == "after_status":
        return fail(spec["status"], "injected fault after the request was carried out")
    if spec["kind"] == "after_close":
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    await asyncio.sleep(spec["seconds"])
    return ok(result.data, result.status)


async def login(request: web.Request) -> web.StreamResponse:
    s = request.app[SIM]
    username = s.auth.check_basic(request.headers.get("Authorization"))
    if username is None:
        return fail(401, "invalid username or password")
    session = s.auth.login(username, s.knobs.token_lifetime)
    s.counters.logins += 1
    return Result({
        "account_id": session.account_id, "access_token": session.access_token,
        "refresh_token": session.refresh_token, "session_id": session.session_id,
        "expires_in": s.knobs.token_lifetime, "ip_address": request.remote or "",
        "scope": "Manager",
    })  # type: ignore[return-value]


async def market_clock(app: web.Application) -> None:
    last = time.monotonic()
    while True:
        await asyncio.sleep(MARKET_INTERVAL)
        now = time.monotonic()
        dt, last = min(now - last, 1.0), now
        s = app[SIM]
        if not s.knobs.market_paused:
            s.market.step(dt, s.knobs.event_rate)


async def saver(app: web.Application, path: str) -> None:
    last_market_save = time.monotonic()
    while True:
        await asyncio.sleep(SAVE_API_DELAY)
        s = app[SIM]
        due = time.monotonic() - last_market_save >= SAVE_MARKET_EVERY
        if s.api_dirty or (due and s.store.version != s.saved_version):
            await save(s, path)
            last_market_save = time.monotonic()


async def save(s: Simulator, path: str) -> None:
    text = json.dumps(s.store.dump(), separators=(",", ":"))
    s.saved_version, s.api_dirty = s.store.version, False
    await asyncio.to_thread(_write, path, text)


def _write(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


async def _background(app: web.Application) -> Any:
    s = app[SIM]
    tasks = [asyncio.create_task(market_clock(app))]
    if s.options.state:
        tasks.append(asyncio.create_task(saver(app, s.options.state)))
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await s.hub.drop_all(code=1001)
    if s.options.state:
        await save(s, s.options.state)


def make_app(s: Simulator) -> web.Application:
    app = web.Application(middlewares=[api_middleware], client_max_size=4 << 20)
    app[SIM] = s
    s.hub.symbols_of_group = lambda gid: {
        sid for sid, row in app[SIM].store.gs_by_group.get(gid, {}).items() if row["enabled"]
    }
    control.add_routes(app, s.options.control)
    app.router.add_post(LOGIN_PATH, login)
    app.router.add_post("/ws/v1/{session_id}", ws.check_session)
    app.router.add_get("/ws/v1", ws.stream)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.cleanup_ctx.append(_background)
    return app


async def serve(options: Options) -> None:
    s = Simulator(options)
    app = make_app(s)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    server = runner.server
    assert server is not None
    accept = server.connection_made

    def counted(handler: Any, transport: Any) -> None:
        app[SIM].counters.connections += 1
        accept(handler, transport)

    server.connection_made = counted  # type: ignore[method-assign]
    site = web.TCPSite(runner, options.host, options.port, backlog=2048, reuse_address=True)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"OMTrader simulator listening on http://{options.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    try:
        asyncio.run(serve(options))
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()

