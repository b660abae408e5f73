"""Live relay benchmark: the simulator's market, N browser sockets through daphne, a baseline.

    .venv/bin/python bench/live.py [--clients 50] [--seconds 20] [--event-rate 3]

1. The simulator (its own process) runs its market and records when it sends each position's
   P/L value (its control API, /_sim/trace): that is the "event time" (the binary profit
   frames carry no timestamp).
2. Portal phase: daphne with the embedded relay (DEBUG off, in-memory layer) and N signed-in
   sockets (session cookie, Origin header), acknowledging every message as live.js does.
   Each received position row is matched to the trace: latency = receipt - event time of
   the P/L value the row shows.
3. Then the market is paused; once quiet, every socket's last state of every position (the
   rows it shows, and their P/L) is compared with the simulator's open positions over REST.
4. Baseline phase: a bare `websockets` server (its own process) with one upstream socket
   that broadcasts every upstream frame as is to N sockets; same measurements.

Prints upstream frames/s, delivered row updates/s, p50/p99/max latency, the longest silence
on any socket (a stall), bytes/s, and the final-state check. Not a test: figures for the
README / architecture notes. Needs nothing but the virtualenv.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from tests.support.portal import PortalProcess, free_port  # noqa: E402
from tests.support.simulator import SimulatorProcess  # noqa: E402

PL = re.compile(r'<td id="pos-(\d+)-pl" class="[^"]*">([^<]*)</td>')  # a whole row or its cells
GONE = re.compile(r'<tr id="pos-(\d+)" hx-swap-oob="delete">')
SNAPSHOT = '<tbody id="live-positions">'
STALL = 1.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def number(text: str) -> Decimal | None:
    try:
        return Decimal(text).normalize()
    except ArithmeticError:
        return None


# -- event times --------------------------------------------------------------------------------


def trace(sim: SimulatorProcess, on: bool | None = None) -> list:
    """The simulator's record of when it sent each P/L value (control API /_sim/trace)."""
    if on is not None:
        requests.post(sim.url + "/_sim/trace", json={"on": on}, timeout=10).raise_for_status()
        return []
    return requests.get(sim.url + "/_sim/trace", timeout=60).json()["events"]


def history_of(events: list) -> dict[int, tuple[list[float], list[Decimal]]]:
    history: dict[int, tuple[list[float], list[Decimal]]] = defaultdict(lambda: ([], []))
    for t, pid, value in events:
        times, values = history[int(pid)]
        times.append(float(t))
        values.append(number(value))
    return history


def event_time(history, pid: int, value: Decimal, received: float) -> float | None:
    """When the simulator last sent this P/L value before it was received."""
    entry = history.get(pid)
    if entry is None:
        return None
    times, values = entry
    i = bisect.bisect_right(times, received) - 1
    while i >= 0 and received - times[i] < 10:  # older: the value came back, not this event
        if values[i] == value:
            return times[i]
        i -= 1
    return None


# -- baseline broadcast server (own process) ----------------------------------------------------


async def baseline_server(sim_url: str, port: int) -> None:
    """One upstream socket; every 25 ms (the relay's flush cadence) the frames that came in
    go to every client as one text message, one frame per line. No Django, no rendering,
    no coalescing: what the relay's plumbing costs on top of a bare fan-out."""
    from websockets.asyncio.server import broadcast, serve

    login = requests.post(sim_url + "/api/v1/oauth2/login", params={"remember_me": "false"},
                          auth=("crm-api", "crm-api-secret"), timeout=10).json()["data"]
    groups = requests.get(sim_url + "/api/v1/manager/groups", params={"page": -1},
                          headers={"Authorization": "Bearer " + login["access_token"]},
                          timeout=10).json()["data"]["records"]
    clients = set()
    batch: list[str] = []

    async def handler(ws):
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            clients.discard(ws)

    async def flush():
        while True:
            await asyncio.sleep(0.025)
            if batch:
                text = "\n".join(batch)
                batch.clear()
                broadcast(clients, text)

    ws_url = sim_url.replace("http", "ws") + "/ws/v1?session_id={}&access_token={}".format(
        login["session_id"], login["access_token"])
    async with serve(handler, "127.0.0.1", port, ping_interval=None, compression=None,
                     max_size=None):
        print("baseline ready", flush=True)
        flusher = asyncio.create_task(flush())
        async with connect(ws_url, proxy=None, max_size=None, ping_interval=None) as upstream:
            for group in groups:
                await upstream.send(json.dumps({"type": "subscribe_group", "data": group["id"]}))
            async for frame in upstream:
                batch.append(frame.decode() if isinstance(frame, bytes) else frame)
        flusher.cancel()


# -- the measuring clients ----------------------------------------------------------------------


class Client:
    def __init__(self, n: int, probe: bool):
        self.n = n
        self.probe = probe
        self.state: dict[int, Decimal] = {}
        self.samples: list[tuple[int, Decimal, float]] = []
        self.updates = 0
        self.messages = 0
        self.bytes = 0
        self.last = 0.0
        self.longest_gap = 0.0
        self.snapshots = 0
        self.frames: list[tuple[float, str, bool]] = []  # read after the run (see `one`)

    def seen(self, size: int, measuring: bool = True) -> float:
        now = time.time()
        if self.last and measuring:
            self.longest_gap = max(self.longest_gap, now - self.last)
        self.last = now
        self.messages += 1
        self.bytes += size
        return now

    def portal_message(self, text: str, now: float, measuring: bool) -> None:
        if SNAPSHOT in text:
            self.snapshots += 1
            self.state = {}
        for pid in GONE.findall(text):
            self.state.pop(int(pid), None)
        for pid, value in PL.findall(text):
            pid, value = int(pid), number(value)
            self.state[pid] = value
            if measuring:
                self.updates += 1
                if self.probe:
                    self.samples.append((pid, value, now))

    def baseline_message(self, text: str, now: float, measuring: bool) -> None:
        for line in text.split("\n"):
            if line.startswith("s,"):
                _, pid, profit, _ = line.split(",")
                pid, value = int(pid), number(profit)
            elif line.startswith('{"type":"positions_'):
                # State only: an opening or closing P/L often repeats an older value, which
                # would be matched to that older event and read as a huge latency.
                message = json.loads(line)
                data = message["data"]
                if message["type"] == "positions_close":
                    self.state.pop(data["id"], None)
                else:
                    self.state[data["id"]] = number(str(data["profit"]))
                continue
            else:
                continue
            self.state[pid] = value
            if measuring:
                self.updates += 1
                if self.probe:
                    self.samples.append((pid, value, now))


async def run_clients(url: str, headers: dict, count: int, seconds: float, kind: str,
                      sim: SimulatorProcess, server_pid: int, relay_pid: int | None = None,
                      probes: int = 10) -> tuple[list[Client], float, dict[str, float], float]:
    clients = [Client(i, i < probes) for i in range(count)]
    measuring = {"on": False}

    async def one(client: Client, ready: asyncio.Event, done: asyncio.Event):
        async with connect(url, additional_headers=headers, proxy=None, max_size=None,
                           ping_interval=None, open_timeout=30) as ws:
            ready.set()
            while not done.is_set():
                try:
                    frame = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                # Only the time of receipt is taken now; the frames are read after the run.
                # All sockets share this one process: reading a frame as it comes would hold
                # up the other sockets' receipts and count as the server's latency. (In real
                # life every browser reads its own.)
                client.frames.append((client.seen(len(frame), measuring["on"]), frame,
                                      measuring["on"]))
                if kind == "portal":
                    await ws.send("ack")

    done = asyncio.Event()
    readies = [asyncio.Event() for _ in clients]
    tasks = [asyncio.create_task(one(c, r, done)) for c, r in zip(clients, readies, strict=True)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
    await asyncio.sleep(3)  # snapshots delivered, steady state
    for client in clients:
        client.longest_gap = 0.0
        client.last = time.time()
    # The frames pile up (hundreds of thousands of tuples): the measuring process's own full
    # collections would pause all 50 sockets at once and show up as the server's latency.
    gc.collect()
    gc.disable()
    pids = {"server": server_pid, "simulator": sim._proc.pid, "clients": os.getpid()}
    if relay_pid:
        pids["relay"] = relay_pid
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    sent_before = (await asyncio.to_thread(sim.counters))["events_sent"]
    measuring["on"] = True
    started = time.time()
    await asyncio.sleep(seconds)
    measuring["on"] = False
    elapsed = time.time() - started
    cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / elapsed for name, pid in pids.items()}
    upstream = ((await asyncio.to_thread(sim.counters))["events_sent"] - sent_before) / elapsed
    gc.enable()
    # The burst is over: stop the market, let everything drain, then compare.
    await asyncio.to_thread(sim.control, market_paused=True)
    quiet_since = time.time()
    deadline = time.time() + 20
    while time.time() < deadline:
        last = max(c.last for c in clients)
        if time.time() - last > 2.0 and time.time() - quiet_since > 2.0:
            break
        await asyncio.sleep(0.2)
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for client in clients:
        read = client.portal_message if kind == "portal" else client.baseline_message
        for now, frame, measured in client.frames:
            read(frame, now, measured)
        client.frames = []
    return clients, elapsed, cpu, upstream


def final_check(clients: list[Client], sim: SimulatorProcess, only_seen: bool) -> dict:
    login = sim.login()
    records = requests.get(sim.url + "/api/v1/manager/positions", params={"page": -1},
                           headers={"Authorization": "Bearer " + login["access_token"]},
                           timeout=30).json()["data"]["records"]
    truth = {r["id"]: number(str(r["profit"])) for r in records}
    exact = 0
    worst = ""
    for client in clients:
        state = client.state
        if only_seen:
            expected = {pid: truth[pid] for pid in state if pid in truth}
            wrong = sum(1 for pid in expected if state[pid] != expected[pid])
            extra = sum(1 for pid in state if pid not in truth)
            missing = 0
        else:
            wrong = sum(1 for pid, v in truth.items() if pid in state and state[pid] != v)
            missing = sum(1 for pid in truth if pid not in state)
            extra = sum(1 for pid in state if pid not in truth)
        if not (wrong or missing or extra):
            exact += 1
        elif not worst:
            worst = f"client {client.n}: {wrong} wrong P/L, {missing} missing, {extra} extra"
    return {"positions": len(truth), "exact": exact, "clients": len(clients), "first_bad": worst}


def summarize(name: str, clients: list[Client], elapsed: float, history) -> dict:
    latencies = []
    unmatched = 0
    for client in clients:
        for pid, value, received in client.samples:
            t = event_time(history, pid, value, received)
            if t is None:
                unmatched += 1
            else:
                latencies.append((received - t) * 1000)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else 0

    updates = sum(c.updates for c in clients)
    return {
        "name": name,
        "updates_per_s": updates / elapsed,
        "per_client_per_s": updates / elapsed / len(clients),
        "p50": pct(0.50), "p99": pct(0.99), "max": latencies[-1] if latencies else 0,
        "mean": statistics.fmean(latencies) if latencies else 0,
        "samples": len(latencies), "unmatched": unmatched,
        "longest_gap": max(c.longest_gap for c in clients),
        "mb_per_s": sum(c.bytes for c in clients) / elapsed / 1e6,
        "messages_per_s": sum(c.messages for c in clients) / elapsed / len(clients),
    }


def session_cookie(portal: PortalProcess, username: str) -> str:
    code = ("from django.contrib.auth import get_user_model; from django.test import Client; "
            f"c = Client(); c.force_login(get_user_model().objects.get(username={username!r})); "
            "print(c.cookies['sessionid'].value)")
    return portal.manage("shell", "-c", code).strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--event-rate", type=float, default=3.0,
                        help="simulated trader actions per second (the market's ticks come on "
                             "top: ~2,400 frames/s upstream at the default)")
    parser.add_argument("--shape", choices=("embedded", "scaleout"), default="embedded",
                        help="embedded: the relay inside daphne (default); scaleout: "
                             "`manage.py relay` in its own process, Redis channel layer")
    parser.add_argument("--baseline", nargs=2, metavar=("SIM_URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        asyncio.run(baseline_server(args.baseline[0], int(args.baseline[1])))
        return

    relay_stats: list[str] = []
    sim = SimulatorProcess().start()
    procs: list[subprocess.Popen] = []
    portal = None
    try:
        sim.control(event_rate=args.event_rate)
        trace(sim, on=True)
        shape = {"REDIS_URL": "", "LIVE_RELAY": "embedded"}
        if args.shape == "scaleout":
            shape = {"REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14",
                     "LIVE_RELAY": "external"}
        portal = PortalProcess(omtrader_url=sim.url, staff={"sam": ("supervisor", [])}, env={
            "DEBUG": "false", "SECRET_KEY": "bench-" + "k" * 50, "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
            "OMTRADER_USERNAME": sim.username, "OMTRADER_PASSWORD": sim.password,
            "LOG_LEVEL": "INFO", **shape,
            # Every bench socket is the same member's.
            "LIVE_MAX_SOCKETS_PER_MEMBER": str(max(10, args.clients)),
        }).start()
        relay_process = portal.spawn("relay", "relay") if args.shape == "scaleout" else None
        cookie = session_cookie(portal, "sam")
        headers = {"Cookie": f"sessionid={cookie}", "Origin": portal.url}
        ws_url = portal.url.replace("http", "ws") + "/ws/live/"
        print(f"portal phase: {args.clients} sockets for {args.seconds:.0f} s ...", flush=True)
        clients, elapsed, portal_cpu, portal_upstream = asyncio.run(run_clients(
            ws_url, headers, args.clients, args.seconds, "portal", sim, portal.process.pid,
            relay_process.process.pid if relay_process else None))
        portal_check = final_check(clients, sim, only_seen=False)
        portal_history = history_of(trace(sim))
        log_text = relay_process.read_log() if relay_process else portal.read_log()
        relay_stats = [line for line in log_text.splitlines() if "events/s" in line]
        if relay_process:
            relay_process.stop()
        portal.stop()
        portal = None
        trace(sim, on=True)
        sim.control(market_paused=False)

        port = free_port()
        base = subprocess.Popen([sys.executable, __file__, "--baseline", sim.url, str(port)],
                                stdout=subprocess.PIPE, text=True)
        procs.append(base)
        base.stdout.readline()
        print(f"baseline phase: {args.clients} sockets for {args.seconds:.0f} s ...", flush=True)
        base_clients, base_elapsed, base_cpu, base_upstream = asyncio.run(run_clients(
            f"ws://127.0.0.1:{port}/", {}, args.clients, args.seconds, "baseline", sim, base.pid))
        base_check = final_check(base_clients, sim, only_seen=True)
        base_history = history_of(trace(sim))
    finally:
        for proc in procs:
            proc.terminate()
        if portal is not None:
            portal.stop()
        counters = sim.counters()
        sim.stop()

    name = "portal (daphne + relay)" if args.shape == "embedded" else "portal (daphne | relay)"
    rows = [summarize(name, clients, elapsed, portal_history),
            summarize("baseline (bare websockets)", base_clients, base_elapsed, base_history)]
    print()
    print(f"upstream: {portal_upstream:,.0f} / {base_upstream:,.0f} frames/s to the relay / "
          f"the baseline (event_rate {args.event_rate:g}); {args.clients} sockets; "
          f"{args.seconds:.0f} s each; relay {args.shape}")
    print(f"{'':28} {'updates/s':>10} {'/socket/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'stall s':>7} {'MB/s':>6} {'msg/s':>6}")
    for r in rows:
        print(f"{r['name']:28} {r['updates_per_s']:>10,.0f} {r['per_client_per_s']:>9,.0f} "
              f"{r['p50']:>7.1f} {r['p99']:>7.1f} {r['max']:>7.1f} {r['longest_gap']:>7.2f} "
              f"{r['mb_per_s']:>6.1f} {r['messages_per_s']:>6.1f}")
    for r, cpu in zip(rows, (portal_cpu, base_cpu), strict=True):
        print(f"  {r['name']}: {r['samples']:,} latency samples, {r['unmatched']:,} unmatched; "
              "CPU (cores): " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    print(f"final state, portal:   {portal_check['exact']}/{portal_check['clients']} sockets show "
          f"exactly the simulator's {portal_check['positions']} open positions and their P/L "
          f"{portal_check['first_bad']}")
    print(f"final state, baseline: {base_check['exact']}/{base_check['clients']} sockets agree on "
          f"the positions they saw {base_check['first_bad']} (no snapshot: it only knows what "
          f"moved)")
    for line in relay_stats[-2:]:
        print("relay:", line[line.find("events/s") - 5:].lstrip(": "))
    print(f"simulator counters: {json.dumps({k: counters[k] for k in ('ws_total', 'logins')})}")


if __name__ == "__main__":
    main()
