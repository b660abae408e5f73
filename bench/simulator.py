"""Throughput of the OMTrader simulator: requests/s for small list pages over many keep-alive
connections, and events/s delivered to one WebSocket subscriber.

    python bench/simulator.py [--duration 5] [--connections 32] [--event-rate 400]

Starts its own simulator (python -m simulator --control) on a free loopback port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.simulator import SimulatorProcess  # noqa: E402

PATHS = (
    "/api/v1/manager/clients?page=3&limit=10",
    "/api/v1/manager/accounts?page=2&limit=10",
    "/api/v1/manager/positions?limit=10",
    "/api/v1/manager/deals?account_id=5&limit=10",
    "/api/v1/manager/groups?limit=10",
)
TRADING_GROUPS = (4, 5, 6, 7, 8, 9)


async def requests_per_second(url: str, token: str, connections: int,
                              duration: float) -> tuple[float, int, int]:
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    done = errors = 0
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as http:
        stop = time.monotonic() + duration

        async def worker(offset: int) -> None:
            nonlocal done, errors
            i = offset
            while time.monotonic() < stop:
                async with http.get(PATHS[i % len(PATHS)]) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                done += 1
                i += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(i) for i in range(connections)))
        elapsed = time.monotonic() - started
    return done / elapsed, done, errors


async def events_per_second(sim: SimulatorProcess, duration: float,
                            event_rate: float) -> tuple[float, dict[str, int]]:
    login = sim.login()
    url = f"{sim.ws_url}/ws/v1?session_id={login['session_id']}" \
          f"&access_token={login['access_token']}"
    kinds: dict[str, int] = {}
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        for gid in TRADING_GROUPS:
            await ws.send_str(json.dumps({"type": "subscribe_group", "data": gid}))
        for _ in TRADING_GROUPS:
            await ws.receive()
        sim.control(market_paused=False, event_rate=event_rate)
        started = time.monotonic()
        stop = started + duration
        count = 0
        while True:
            left = stop - time.monotonic()
            if left <= 0:
                break
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if msg.type == aiohttp.WSMsgType.BINARY:
                kind = "profit frames" if msg.data.startswith(b"s,") else "tick frames"
            elif msg.type == aiohttp.WSMsgType.TEXT:
                kind = json.loads(msg.data)["type"]
            else:
                break
            kinds[kind] = kinds.get(kind, 0) + 1
            count += 1
        elapsed = time.monotonic() - started
        sim.control(market_paused=True)
    return count / elapsed, kinds


async def burst_delivery(sim: SimulatorProcess, seconds: float) -> tuple[float, int]:
    """Frames/s to one subscriber while draining a backlog: `seconds` of market stepped at once
    (paused market), so delivery, not the market's pace, is what is measured."""
    login = sim.login()
    url = f"{sim.ws_url}/ws/v1?session_id={login['session_id']}" \
          f"&access_token={login['access_token']}"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        for gid in TRADING_GROUPS:
            await ws.send_str(json.dumps({"type": "subscribe_group", "data": gid}))
        for _ in TRADING_GROUPS:
            await ws.receive()
        await asyncio.to_thread(sim.step, seconds)
        count, first, last = 0, 0.0, 0.0
        while True:
            try:
                msg = await ws.receive(timeout=1.0)
            except TimeoutError:
                break
            if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                break
            last = time.monotonic()
            first = first or last
            count += 1
    return count / max(last - first, 1e-9), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--event-rate", type=float, default=100.0,
                        help="simulated trader actions per second during the events run")
    args = parser.parse_args()
    with SimulatorProcess(["--market-paused"]) as sim:
        token = sim.login()["access_token"]
        before = sim.counters()["connections"]
        rps, total, errors = asyncio.run(
            requests_per_second(sim.url, token, args.connections, args.duration))
        used = sim.counters()["connections"] - before
        print(f"requests/s: {rps:,.0f}  ({total} small list pages in {args.duration:g} s, "
              f"{args.connections} keep-alive connections, {used} TCP connections, "
              f"{errors} errors)")
        eps, kinds = asyncio.run(events_per_second(sim, args.duration, args.event_rate))
        detail = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
        print(f"events/s:   {eps:,.0f}  (live market, one subscriber to groups 4-9, event_rate "
              f"{args.event_rate:g}; {detail})")
        bps, frames = asyncio.run(burst_delivery(sim, 60))
        print(f"events/s:   {bps:,.0f}  (delivery to one subscriber: {frames} frames of 60 "
              f"simulated seconds stepped at once)")


if __name__ == "__main__":
    main()
