"""Page figures for Clients and KYC: a real daphne portal in front of a simulator subprocess.

    .venv/bin/python bench/pages.py [--latency-ms 50] [--loads 50] [--staff 20] [--seconds 15]
                                    [--scale 100000 | --scale 0]

Prints, with the simulator's added latency (default 50 ms, the upstream round trip):
- the client list and the client 360 page: median time over N loads with caches warm,
  divided by the round trip (goals: list <= 1.3, client 360 <= 1.5). The list is measured
  with CLIENT_INDEX_MAX_AGE=0 (every load asks OMTrader what changed, the worst case) and
  with the default (5 s);
- pages/s served by one daphne process to N concurrent staff members, each signed in as
  themselves, loading lists (search, filters, sort, pages) and client pages at random;
- the list's database work over an index of `--scale` clients (search, filters, scope,
  count and page), which is what keeps lists correct and fast where OMTrader cannot search.

    .venv/bin/python bench/pages.py --throughput [--staff 20] [--seconds 15] [--latency-ms 50]
                                    [--processes 1]

prints only the throughput figures the goal is stated in: pages/s and median latency with
`--staff` members loading one page each at once, for the client list (filters, searches,
sort and pages at random), the client 360 page (clients at random) and the sign-in page
(signed out), each page on its own for `--seconds` (goal: list >= 60 pages/s, median < 300 ms),
and the CPU time the portal spent per page (steady when other work shares the machine).
`--processes 2` serves through `manage.py serve` with two daphne processes on one socket (the
Docker image's shape; LIVE_RELAY=external, as with Redis: only pages are loaded here).

    .venv/bin/python bench/pages.py --dashboard [--latency-ms 50] [--loads 20]

prints, per role, the dashboard's time to its first response (the page with a skeleton per
panel and chart; goal <= 0.5 x RTT) and to its last panel (every panel and chart the page
names, loaded at once as htmx does; goal <= 2 x RTT), median over N loads, with the market
read shared (the defaults), with every load waiting for its own read (the worst case), and
with a dashboard socket open, so the embedded relay runs and the market comes from it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.portal import PortalProcess  # noqa: E402
from tests.support.simulator import SimulatorProcess  # noqa: E402
from tests.support.staff import PASSWORD  # noqa: E402

SEARCHES = ["smith", "garcia", "maria", "@example.com", "CRM-001", "+44", "chen", "laurent"]
FILTERS = [{}, {"status": 9}, {"kyc": "pending"}, {"country": "DE"}, {"type": 1},
           {"lead_source": "referral"}, {"sort": "name"}, {"sort": "-created", "page": 2},
           {"group": 7}, {"manager": 3, "sort": "kyc"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--loads", type=int, default=50, help="samples per median")
    parser.add_argument("--staff", type=int, default=20, help="concurrent staff members")
    parser.add_argument("--seconds", type=float, default=15.0, help="concurrency run length")
    parser.add_argument("--scale", type=int, default=100_000,
                        help="clients in the index for the database figure (0: skip)")
    parser.add_argument("--debug", action="store_true",
                        help="run the portal with DEBUG on (default: production settings)")
    parser.add_argument("--throughput", action="store_true",
                        help="only pages/s and median per page at --staff concurrent")
    parser.add_argument("--processes", type=int, default=1,
                        help="daphne processes for --throughput (more than 1: manage.py serve)")
    parser.add_argument("--groups", action="store_true",
                        help="only the groups area: tree, group page, symbols, impact preview")
    parser.add_argument("--dashboard", action="store_true",
                        help="only the dashboard: first response and last panel per role")
    parser.add_argument("--trading", action="store_true",
                        help="only the trading pages, the statement and the deals export")
    parser.add_argument("--extra-deals", type=int, default=100_000,
                        help="historical deals the simulator adds for --trading")
    args = parser.parse_args()
    rtt = args.latency_ms / 1000
    if args.throughput:
        _throughput_only(args)
        return
    if args.groups:
        _group_pages(args)
        return
    if args.dashboard:
        _dashboard_only(args)
        return
    if args.trading:
        _trading(args)
        return

    sim = SimulatorProcess().start()
    try:
        print(f"Clients and KYC page bench: simulator {sim.url}, added latency "
              f"{args.latency_ms:g} ms, {args.loads} loads per median, {args.staff} staff, "
              f"one daphne process, SQLite, DEBUG {'on' if args.debug else 'off'}")
        busy = _busiest_client(sim)
        for max_age in ("0", "5"):
            portal = _portal(sim, args.staff, {"CLIENT_INDEX_MAX_AGE": max_age,
                                               "ACCOUNT_INDEX_MAX_AGE": max_age}, args.debug)
            try:
                sessions = [_signed_in(portal, f"bench{i}") for i in range(args.staff)]
                reviewer = _signed_in(portal, "benchkyc")
                sim.control(latency_ms=args.latency_ms)
                label = ("every load checks OMTrader" if max_age == "0"
                         else "default, checks at most every 5 s")
                print(f"\nCLIENT_INDEX_MAX_AGE={max_age} ({label})")
                _medians(portal, sessions[0], reviewer, busy, args.loads, rtt,
                         with_360=max_age == "0")
                _concurrent(portal, sessions, args.seconds, rtt)
                sim.control(latency_ms=0)
            finally:
                portal.stop()
    finally:
        sim.stop()
    if args.scale:
        _index_at_scale(args.scale)
        _accounts_at_scale(args.scale)


def _throughput_only(args) -> None:
    sim = SimulatorProcess().start()
    try:
        portal = _portal(sim, args.staff, {}, args.debug, args.processes)
        try:
            sessions = [_signed_in(portal, f"bench{i}") for i in range(args.staff)]
            busy = _busiest_client(sim)
            for session in sessions[:2]:  # warm: groups, symbols, the index, client pages
                for path in ("/clients/", f"/clients/{busy}/", "/clients/1/"):
                    _load(session, portal.url + path)
            sim.control(latency_ms=args.latency_ms)
            print(f"Throughput: {args.staff} concurrent staff, {args.seconds:g} s per page, "
                  f"simulator latency {args.latency_ms:g} ms, {_process_model(args.processes)}, "
                  "SQLite, "
                  f"DEBUG {'on' if args.debug else 'off'}, {os.cpu_count()} cores")
            rng = random.Random(11)

            def client_list(session: requests.Session) -> float:
                params = dict(rng.choice(FILTERS))
                if rng.random() < 0.4:
                    params["q"] = rng.choice(SEARCHES)
                return _load(session, portal.url + "/clients/", **params)

            def client_360(session: requests.Session) -> float:
                return _load(session, portal.url + f"/clients/{rng.randint(1, 500)}/")

            def sign_in(session: requests.Session) -> float:
                return _load(session, portal.url + "/login/")

            signed_out = [requests.Session() for _ in range(args.staff)]
            for label, load, who in (("client list", client_list, sessions),
                                     ("client 360", client_360, sessions),
                                     ("sign-in page", sign_in, signed_out)):
                rate, median = _hammer(label, load, who, args.seconds, portal.process.pid)
                if label == "client list":
                    verdict = "ok" if rate >= 60 and median < 0.3 else "BELOW GOAL"
                    print(f"    goal: >= 60 pages/s with a median under 300 ms: {verdict}")
        finally:
            portal.stop()
    finally:
        sim.stop()


def _process_model(processes: int) -> str:
    if processes == 1:
        return "one daphne process"
    return f"{processes} daphne processes (manage.py serve)"


class ServedPortal(PortalProcess):
    """The portal through `manage.py serve --processes N` (the Docker image's entry point)."""

    def __init__(self, processes: int, **kwargs):
        super().__init__(**kwargs)
        self.processes = processes
        self.env["LIVE_RELAY"] = "external"  # several processes: the scale-out shape

    def start(self) -> ServedPortal:
        import subprocess

        self.manage("migrate", "--noinput")
        for username, (role, _groups) in self.staff.items():
            self.manage("createstaff", username, "--role", role, "--all-groups",
                        "--password-stdin", stdin=PASSWORD + "\n")
        self.log = open(Path(self.workdir) / "daphne.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(self.port),
             "--processes", str(self.processes)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        # The socket listens before daphne runs: a request waits (queued) instead of failing.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"manage.py serve exited: {self.read_log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=10).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"manage.py serve did not answer: {self.read_log()}")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its child processes (daphne under `serve`)
    used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = sum(int(value) for value in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(_cpu_seconds(int(child)) for child in children)


def _hammer(label: str, load, sessions: list[requests.Session], seconds: float,
            pid: int) -> tuple[float, float]:
    """`load(session)` in one thread per session for `seconds`; print pages/s, median and
    the portal's CPU time per page (which other load on the machine hardly changes)."""
    cpu = _cpu_seconds(pid)
    times, errors, took = _drive(sessions, seconds, lambda session, rng: load(session))
    cpu = _cpu_seconds(pid) - cpu
    median = statistics.median(times) if times else 0.0
    p95 = times[int(len(times) * 0.95)] if times else 0.0
    per_page = cpu / max(1, len(times)) * 1000
    print(f"  {label:<13} {len(times) / took:6.1f} pages/s  median {median * 1000:5.0f} ms  "
          f"p95 {p95 * 1000:5.0f} ms  portal CPU {per_page:5.1f} ms/page  ({len(times)} pages "
          f"in {took:.1f} s, {len(errors)} errors)")
    for error in errors[:3]:
        print(f"    error: {error}")
    return len(times) / took, median


DASHBOARD_ROLES = (("Back office", "bench0"), ("Compliance", "benchkyc"),
                   ("Supervisor", "benchsup"), ("Administrator", "benchadmin"))
PANEL_URL = re.compile(r'hx-get="(/dashboard/(?:panels|charts)/[^"]+)"')


def _dashboard_only(args) -> None:
    rtt = args.latency_ms / 1000
    sim = SimulatorProcess().start()
    try:
        # Shared: the defaults (a read is fresh 5 s, then refreshed behind the page). Cold:
        # no reuse past 1 s and a load every 1.2 s, so every load waits for its own read.
        # Relay: a supervisor's dashboard socket is open, so the embedded relay runs and the
        # market panels copy its picture instead of reading the book over REST.
        relay_env = {"LIVE_RELAY": "embedded", "REDIS_URL": "", "OMTRADER_WS_URL": sim.ws_url}
        for case, env, pause in (("shared", {}, 0.0),
                                 ("cold", {"DASHBOARD_MARKET_MAX_AGE": "1",
                                           "DASHBOARD_MARKET_STALE_MAX": "0"}, 1.2),
                                 ("relay", relay_env, 0.0)):
            portal = _portal(sim, 1, env, args.debug)
            socket = None
            try:
                portal.manage("shell", "-c", (
                    "from crmportal.staff.members import create_staff\n"
                    f"create_staff('benchsup', 'Supervisor', {PASSWORD!r}, all_groups=True)\n"
                    f"create_staff('benchadmin', 'Administrator', {PASSWORD!r}, "
                    "all_groups=True)\n"))
                label = {"shared": "the market read shared for 5 s, then refreshed behind "
                                   "the page",
                         "cold": "every load waits for its own read of the market, the worst "
                                 "case",
                         "relay": "a dashboard socket open: the market from the embedded "
                                  "relay"}[case]
                if case == "relay":
                    socket = _DashboardSocket(portal, _signed_in(portal, "benchsup")).start()
                print(f"\nDashboard, simulator latency {args.latency_ms:g} ms, {args.loads} "
                      f"loads per median, {case}: {label}")
                for role, username in DASHBOARD_ROLES:
                    session = _signed_in(portal, username)
                    sim.control(latency_ms=args.latency_ms)
                    first, last, panels, slowest = _dashboard_medians(portal, session,
                                                                      args.loads, pause)
                    sim.control(latency_ms=0)
                    verdict = ("ok" if first / rtt <= 0.5 and last / rtt <= 2
                               else "ABOVE GOAL")
                    print(f"  {role:<14} {panels:2d} panels: first response "
                          f"{first * 1000:6.1f} ms = {first / rtt:4.2f} x RTT (goal <= 0.5), "
                          f"last panel {last * 1000:6.1f} ms = {last / rtt:4.2f} x RTT "
                          f"(goal <= 2): {verdict}")
                    print("      slowest (median x RTT): " + ", ".join(
                        f"{name} {took / rtt:.2f}" for name, took in slowest))
            finally:
                if socket is not None:
                    socket.stop()
                portal.stop()
    finally:
        sim.stop()


class _DashboardSocket:
    """A supervisor's dashboard socket held open (answering every message, as live.js does),
    which starts the embedded relay; started and stopped around a bench case."""

    def __init__(self, portal, session: requests.Session):
        self.url = portal.url.replace("http://", "ws://") + "/ws/live/?view=dashboard"
        self.headers = {"Cookie": f"sessionid={session.cookies['sessionid']}",
                        "Origin": portal.url}
        self.stopping = threading.Event()
        self.live = threading.Event()  # the relay said "live": logged in, subscribed, reconciled
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> _DashboardSocket:
        self.thread.start()
        if not self.live.wait(60):
            raise RuntimeError("the embedded relay did not come live within 60 s")
        return self

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(self.url, additional_headers=self.headers, proxy=None) as socket:
            while not self.stopping.is_set():
                try:
                    message = await asyncio.wait_for(socket.recv(), 0.5)
                except TimeoutError:
                    continue
                if 'data-state="live"' in message:
                    self.live.set()
                await socket.send("ack")

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)


def _dashboard_medians(portal, session: requests.Session, loads: int, pause: float):
    """Median time to the page, and to its last panel when every panel is asked for at once
    (a session per panel, sharing the sign-in, as the browser's parallel requests)."""
    cookies = session.cookies.get_dict()
    panel_sessions: dict[str, requests.Session] = {}

    took: dict[str, list[float]] = {}

    def panel(path: str) -> None:
        own = panel_sessions.setdefault(path, requests.Session())
        own.cookies.update(cookies)
        took.setdefault(path, []).append(
            _load(own, portal.url + path, headers={"HX-Request": "true"}))

    firsts, lasts, count = [], [], 0
    for n in range(loads + 3):  # three to warm: sign-in, reference data, the index
        time.sleep(pause)
        started = time.perf_counter()
        page = session.get(portal.url + "/", timeout=30)
        first = time.perf_counter() - started
        paths = PANEL_URL.findall(page.text)
        threads = [threading.Thread(target=panel, args=(path,)) for path in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if n >= 3:
            firsts.append(first)
            lasts.append(time.perf_counter() - started)
        count = len(paths)
    slowest = sorted(((path.strip("/").split("/", 1)[1], statistics.median(times[3:]))
                      for path, times in took.items()), key=lambda item: -item[1])[:3]
    return statistics.median(firsts), statistics.median(lasts), count, slowest


def _portal(sim: SimulatorProcess, staff: int, env: dict, debug: bool,
            processes: int = 1) -> PortalProcess:
    production = {} if debug else {
        "DEBUG": "false", "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
        "OMTRADER_USERNAME": sim.username, "OMTRADER_PASSWORD": sim.password}
    options = dict(omtrader_url=sim.url, staff={"bench0": ("backoffice", [])},
                   env={"LOG_LEVEL": "WARNING", **production, **env})
    portal = (PortalProcess(**options) if processes == 1
              else ServedPortal(processes, **options))
    if not debug:
        portal.manage("collectstatic", "--noinput", "-v", "0")  # hashed names, as in the image
    try:
        portal.start()
        names = ",".join(repr(f"bench{i}") for i in range(1, staff))
        portal.manage("shell", "-c", (
            "from crmportal.staff.members import create_staff\n"
            f"for name in [{names}]:\n"
            f"    create_staff(name, 'Back office', {PASSWORD!r}, all_groups=True)\n"
            f"create_staff('benchkyc', 'Compliance', {PASSWORD!r}, all_groups=True)\n"))
    except BaseException:
        portal.stop()  # a portal that failed to start is not left running
        raise
    return portal


def _group_pages(args) -> None:
    """Groups, symbols and the impact preview of a group edit, as an Administrator who sees
    every group, each page's median / RTT (goals: tree 1.3, group page 2.3, symbols 1.3,
    preview 2.3). The tree is measured with its figures kept 10 s (the default) and read on
    every load (GROUP_FIGURES_MAX_AGE=0)."""
    rtt = args.latency_ms / 1000
    sim = SimulatorProcess().start()
    try:
        print(f"Groups page bench: simulator at {args.latency_ms:g} ms added latency, "
              f"{args.loads} loads per median, one daphne process")
        for max_age in ("10", "0"):
            portal = _portal(sim, 1, {"GROUP_FIGURES_MAX_AGE": max_age}, args.debug)
            try:
                portal.manage("shell", "-c", (
                    "from crmportal.staff.members import create_staff\n"
                    f"create_staff('benchadmin', 'Administrator', {PASSWORD!r}, "
                    "all_groups=True)\n"))
                admin = _signed_in(portal, "benchadmin")
                sim.control(latency_ms=args.latency_ms)
                print(f"\nGROUP_FIGURES_MAX_AGE={max_age}")
                rows = [("group tree", "/groups/", 1.3)]
                if max_age != "0":
                    rows += [("group page (Live Pro)", "/groups/7/", 2.3),
                             ("symbols list", "/symbols/", 1.3)]
                for label, path, goal in rows:
                    _report(label, _median(admin, portal.url + path, args.loads), rtt, goal)
                if max_age != "0":
                    _report("impact preview (Live Pro, new stop-out)",
                            _preview_median(admin, portal.url + "/groups/7/edit/", args.loads),
                            rtt, 2.3)
            finally:
                sim.control(latency_ms=0)
                portal.stop()
    finally:
        sim.stop()


def _report(label: str, median: float, rtt: float, goal: float) -> None:
    verdict = "ok" if median / rtt <= goal else "ABOVE GOAL"
    print(f"  {label:<42} median {median * 1000:7.1f} ms = {median / rtt:5.2f} x RTT "
          f"(goal <= {goal}: {verdict})")


def _preview_median(session: requests.Session, url: str, loads: int) -> float:
    """POST the edit form of the seeded Live Pro group with a new stop-out level and
    action=preview (nothing is written)."""
    page = session.get(url, timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    data = {"csrfmiddlewaretoken": token, "version": version, "desc": "Live Pro",
            "status": "active", "group_type": "0", "currency": "USD", "currency_digits": "2",
            "default_leverage": "200", "margin_mode": "0", "margin_call": "100",
            "margin_stop_out": "95", "limit_history": "", "limit_orders": "200",
            "limit_positions": "500", "limit_positions_volume": "10000", "limit_symbols": "",
            "compensate_negative_balance": "on", "action": "preview"}
    times = []
    for i in range(loads + 5):
        started = time.perf_counter()
        answer = session.post(url, data=data, headers={"Referer": url}, timeout=30)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200 or 'id="impact-preview"' not in answer.text:
            raise RuntimeError(f"preview: {answer.status_code}")
        if i >= 5:  # the first five warm the caches
            times.append(elapsed)
    return statistics.median(times)


def _signed_in(portal: PortalProcess, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(portal.url + "/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(portal.url + "/login/", timeout=30,
                          data={"csrfmiddlewaretoken": token, "username": username,
                                "password": PASSWORD},
                          headers={"Referer": portal.url + "/login/"})
    if "Good to see you" not in answer.text:
        raise RuntimeError(f"sign-in as {username} failed")
    return session


def _busiest_client(sim: SimulatorProcess) -> int:
    token = sim.login()["access_token"]
    answer = requests.get(f"{sim.url}/api/v1/manager/clients", params={"limit": 1000},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    clients = answer.json()["data"]["records"]
    return max(clients, key=lambda c: len(c["accounts"]))["id"]


def _load(session: requests.Session, url: str, headers: dict | None = None, **params) -> float:
    started = time.perf_counter()
    answer = session.get(url, params=params, headers=headers, timeout=30)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{url} {params}: {answer.status_code}")
    return elapsed


def _median(session, url: str, loads: int, **params) -> float:
    for _ in range(5):  # warm: sign-in, groups, symbols, the client's account ids
        _load(session, url, **params)
    return statistics.median(_load(session, url, **params) for _ in range(loads))


def _medians(portal, session, reviewer, busy: int, loads: int, rtt: float,
             with_360: bool) -> None:
    rows = [("client list, first page", session, "/clients/", {}, 1.3),
            ("client list, search + filter + sort", session, "/clients/",
             {"q": "smith", "status": 9, "sort": "name"}, 1.3),
            ("KYC queue (Compliance)", reviewer, "/kyc/", {}, 1.3),
            ("account list, first page", session, "/accounts/", {}, 1.3),
            ("account list, filters + sort", session, "/accounts/",
             {"group": 6, "positions": "yes", "sort": "-balance"}, 1.3)]
    if with_360:
        rows.append((f"client edit (client {busy})", session, f"/clients/{busy}/edit/", {}, 1.5))
        rows.append((f"client 360 (client {busy}, busiest)", session, f"/clients/{busy}/",
                     {}, 1.5))
        rows.append(("account page (account 1)", session, "/accounts/1/", {}, 1.5))
    for label, who, path, params, goal in rows:
        median = _median(who, portal.url + path, loads, **params)
        verdict = "ok" if median / rtt <= goal else "ABOVE GOAL"
        print(f"  {label:<42} median {median * 1000:7.1f} ms = {median / rtt:5.2f} x RTT "
              f"(goal <= {goal}: {verdict})")


def _drive(sessions: list[requests.Session], seconds: float, load):
    """`load(session, rng)` again and again in one thread per session for `seconds` (each
    thread its own seeded random source): the sorted page times, the errors, the time taken."""
    stop = time.monotonic() + seconds
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(session: requests.Session, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop:
            try:
                elapsed = load(session, rng)
            except Exception as error:  # noqa: BLE001 - counted and shown by the caller
                with lock:
                    errors.append(str(error)[:120])
                continue
            with lock:
                times.append(elapsed)

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(s, i)) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(times), errors, time.monotonic() - started


def _concurrent(portal, sessions, seconds: float, rtt: float) -> None:
    client_ids = list(range(1, 501))

    def one(session: requests.Session, rng: random.Random) -> float:
        roll = rng.random()
        if roll < 0.45:
            params = dict(rng.choice(FILTERS))
            if rng.random() < 0.4:
                params["q"] = rng.choice(SEARCHES)
            return _load(session, portal.url + "/clients/", **params)
        if roll < 0.55:
            return _load(session, portal.url + "/clients/",  # an htmx swap
                         headers={"HX-Request": "true"}, q=rng.choice(SEARCHES))
        return _load(session, portal.url + f"/clients/{rng.choice(client_ids)}/")

    times, errors, took = _drive(sessions, seconds, one)
    p95 = times[int(len(times) * 0.95)] if times else 0
    print(f"  {len(sessions)} concurrent staff through daphne: {len(times) / took:6.1f} pages/s "
          f"({len(times)} pages in {took:.1f} s; median {statistics.median(times) * 1000:.0f} ms"
          f" = {statistics.median(times) / rtt:.2f} x RTT, p95 {p95 * 1000:.0f} ms; "
          f"{len(errors)} errors)")
    for error in errors[:3]:
        print(f"    error: {error}")


def _index_at_scale(count: int) -> None:
    """The list's own database work (search, filters, scope, count, page) over `count` rows."""
    workdir = tempfile.mkdtemp(prefix="clients-scale-")
    os.environ.update(DATABASE_URL=f"sqlite:///{workdir}/db.sqlite3", LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="crmportal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from crmportal.clients import index
    from crmportal.clients.forms import ClientFilterForm
    from crmportal.staff.members import create_staff

    call_command("migrate", verbosity=0)
    email, phone = _fill(f"{workdir}/db.sqlite3", count)
    everyone = create_staff("all", "Back office", PASSWORD, all_groups=True)
    scoped = create_staff("scoped", "Back office", PASSWORD, group_ids=[7])
    print(f"\nList database work over {count:,} indexed clients (SQLite, median of 20):")
    cases = [("no filter, newest first", everyone, ""),
             ("search a family name", everyone, "q=smith"),
             ("search an e-mail fragment", everyone, f"q={email}"),
             ("search phone digits", everyone, f"q={phone}"),
             ("status + KYC + sort by name", everyone, "status=9&kyc=pending&sort=name"),
             ("country + campaign, page 40", everyone,
              "country=DE&lead_campaign=gold-rush&page=40"),
             ("scoped member (group 7), search", scoped, "q=chen"),
             ("KYC waiting, oldest first", everyone, "kyc=pending&sort=created")]
    _list_medians(cases, ClientFilterForm, index.visible_to, ("record", "search_text"), 34)


def _accounts_at_scale(count: int) -> None:
    """The account list's database work over `count` indexed accounts (after _index_at_scale,
    in its database)."""
    from django.db import connection

    from crmportal.accounts import index
    from crmportal.accounts.forms import AccountFilterForm
    from crmportal.staff.members import create_staff

    _fill_accounts(connection.settings_dict["NAME"], count)
    everyone = create_staff("all-accounts", "Back office", PASSWORD, all_groups=True)
    scoped = create_staff("scoped-accounts", "Back office", PASSWORD, group_ids=[7])
    print(f"\nAccount list database work over {count:,} indexed accounts (SQLite, median of 20):")
    cases = [("no filter, newest first", everyone, ""),
             ("search a holder name", everyone, "q=chen"),
             ("search an account number", everyone, f"q={count // 2}"),
             ("group + with positions + by balance", everyone,
              "group=6&positions=yes&sort=-balance"),
             ("margin level below 150", everyone, "level_below=150&sort=level"),
             ("balance 1,000-5,000, page 40", everyone,
              "balance_min=1000&balance_max=5000&page=40"),
             ("EUR by equity", everyone, "currency=EUR&sort=-equity"),
             ("scoped member (group 7), search", scoped, "q=smith")]
    _list_medians(cases, AccountFilterForm, index.visible_to, ("search_text",), 38)


def _list_medians(cases, form_class, visible_to, defer: tuple[str, ...], width: int) -> None:
    """Per case (label, member, query string): the median of 20 runs of what a list asks of
    its index (parse, scope, filter, sort, count, one page of 50)."""
    from django.core.paginator import Paginator
    from django.http import QueryDict

    for label, user, query in cases:
        samples, found = [], 0
        for _ in range(20):
            started = time.perf_counter()
            form, _ = form_class.parse(QueryDict(query))
            rows = form.order(form.filter(visible_to(user))).defer(*defer)
            page = Paginator(rows, 50).get_page(QueryDict(query).get("page", 1))
            list(page)
            found = page.paginator.count
            samples.append(time.perf_counter() - started)
        print(f"  {label:<{width}} {statistics.median(samples) * 1000:7.1f} ms  "
              f"({found:,} match)")


def _fill_accounts(path: str, count: int) -> None:
    rng = random.Random(11)
    first = ["Maria", "John", "Wei", "Olga", "Ahmed", "Sofia", "Luca", "Hana", "Omar", "Emma"]
    family = ["Smith", "Garcia", "Chen", "Muller", "Rossi", "Khan"] + [
        f"Name{i}" for i in range(400)]
    now = "2026-01-01 00:00:00"
    rows = []
    for aid in range(1, count + 1):
        f, fam = rng.choice(first), rng.choice(family)
        group = rng.randrange(4, 10)
        balance = round(rng.uniform(0, 50_000), 2)
        margin = round(rng.uniform(0, balance / 4), 2) if rng.random() < 0.4 else 0.0
        equity = round(balance + rng.uniform(-500, 500), 2)
        level = round(equity / margin * 100, 2) if margin else 0.0
        holder = f"{f} {fam}"
        email = f"{f}.{fam}{aid}@example.com".lower()
        rows.append((aid, aid, group, "EUR" if group == 5 else "USD", 2, 100, int(group in (4, 5)),
                     0, str(aid), holder, email, holder, balance, 0.0, equity, margin,
                     round(equity - margin, 2), level, round(equity - balance, 2), now, now,
                     f"{aid} {holder} {email} {holder} client:{aid}".lower(), now))
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO accounts_accountindex (id, client_id, group_id, currency, "
                   "currency_digits, leverage, trade_type, liquidation_status, username, "
                   "holder_name, email, client_name, balance, credit, equity, margin, "
                   "margin_free, margin_level, profit, created_at, updated_at, search_text, "
                   f"synced_at) VALUES ({','.join('?' * 23)})", rows)
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _fill(path: str, count: int) -> tuple[str, str]:
    """Synthetic index rows written straight to SQLite (the ORM would take minutes)."""
    rng = random.Random(7)
    first = ["Maria", "John", "Wei", "Olga", "Ahmed", "Sofia", "Luca", "Hana", "Omar", "Emma"]
    family = ["Smith", "Garcia", "Chen", "Muller", "Rossi", "Khan", "Laurent", "Borg", "Novak",
              "Silva", "Tanaka", "Dubois"] + [f"Name{i}" for i in range(400)]
    countries = ["DE", "GB", "FR", "IT", "ES", "MT", "CY", "AE", "JP", "BR"]
    now = "2026-01-01 00:00:00"
    db = sqlite3.connect(path)
    rows, groups = [], []
    for cid in range(1, count + 1):
        f, fam = rng.choice(first), rng.choice(family)
        mobile = f"+{rng.choice([44, 49, 33, 356])} {rng.randrange(1000, 9999)} " \
                 f"{rng.randrange(100000, 999999)}"
        email = f"{f}.{fam}{cid}@example.com".lower()
        search = " ".join([f, fam, email, f"CRM-{cid:06d}", mobile.replace(" ", "")
                           .replace("+", "")]).lower()
        pg = rng.randrange(4, 10)
        rows.append((cid, 0, rng.randrange(14), rng.choice([None, 0, 1]), rng.randrange(1, 8), pg,
                     f, "", fam, email, mobile, f"CRM-{cid:06d}", rng.choice(countries),
                     rng.choice(["web", "referral", "partner"]),
                     rng.choice(["", "gold-rush", "spring-promo"]), None, rng.randrange(0, 4),
                     f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d} 10:00:00",
                     now, search, "{}", now))
        groups += [(cid, g) for g in {pg, rng.randrange(4, 10)}]
    db.executemany(f"INSERT INTO clients_clientindex (id, type, status, kyc_status, manager_id, "
                   f"preferred_group, first_name, middle_name, family_name, email, mobile, "
                   f"external_id, country, lead_source, lead_campaign, expiry_date, accounts, "
                   f"created_at, updated_at, search_text, record, synced_at) VALUES "
                   f"({','.join('?' * 22)})", rows)
    db.executemany("INSERT INTO clients_clientindexgroup (client_id, group_id) VALUES (?, ?)",
                   groups)
    db.execute("INSERT INTO clients_indexstate (id, full_synced_at, checked_at, upstream_total, "
               "accounts_nested, reconcile_needed) VALUES (1, ?, ?, ?, 1, 0)",
               (now, now, count))
    db.commit()
    db.execute("ANALYZE")
    db.close()
    sample = rows[len(rows) // 3]
    return sample[9].split("@")[0], sample[10].split(" ", 1)[1].replace(" ", "%20")



# -- trading (python bench/pages.py --trading) ------------------------------------------------


def _trading(args) -> None:
    """Each trading list and detail page / RTT (goals: lists <= 1.3, detail <= 2.3, statement
    of a month <= 3), then the CSV export of every deal: rows/s and the portal's peak memory.
    RTT is the median round trip of the page's own upstream call made bare (the same endpoint
    and query, no portal) in the same run: it holds the added latency and the simulator's own
    time to answer, which the portal cannot shorten."""
    sim = SimulatorProcess(["--extra-deals", str(args.extra_deals), "--market-paused"]).start()
    portal = None
    try:
        portal = _portal(sim, 1, {}, args.debug)
        session = _signed_in(portal, "bench0")
        deal = _trade_deal(sim)
        upstream = _upstream_session(sim)
        print(f"Trading page bench: simulator {sim.url} with {args.extra_deals:,} extra deals, "
              f"added latency {args.latency_ms:g} ms, {args.loads} loads per median")
        sim.control(latency_ms=args.latency_ms)
        newest = {"page": 1, "limit": 50, "sort_by": "id", "dir": "DESC"}
        account = deal["account_id"]
        rows = [(f"{path} first page", path, {}, 1.3, (bare, newest)) for path, bare in (
            ("/trading/positions/", "positions"), ("/trading/orders/", "orders"),
            ("/trading/positions/history/", "positions/history"),
            ("/trading/orders/history/", "orders/history"), ("/trading/deals/", "deals"))]
        rows += [
            ("deals of one account, sorted by P/L", "/trading/deals/",
             {"account": account, "sort": "-profit"}, 1.3,
             ("deals", {**newest, "account_id": account, "sort_by": "profit"})),
            ("deals of one account, sells at a loss (portal filters)", "/trading/deals/",
             {"account": account, "side": 1, "pl": "loss"}, 1.3,
             ("deals", {**newest, "account_id": account, "limit": 1000})),
            ("position history of group 6, page 3", "/trading/positions/history/",
             {"group": 6, "page": 3}, 1.3,
             ("positions/history", {**newest, "group_id": 6, "page": 3})),
            ("position page", f"/trading/positions/{deal['position_id']}/", {}, 2.3,
             (f"positions/{deal['position_id']}", {})),
            ("order page", f"/trading/orders/{deal['order_id']}/", {}, 2.3,
             (f"orders/{deal['order_id']}", {})),
            ("deal page", f"/trading/deals/{deal['id']}/", {}, 2.3, (f"deals/{deal['id']}", {})),
            ("account statement, this month", f"/accounts/{account}/statement/", {}, 3,
             ("deals", {**newest, "account_id": account, "limit": 1000})),
        ]
        nominal = args.latency_ms / 1000
        for label, path, params, goal, (bare, query) in rows:
            median = _median(session, portal.url + path, args.loads, **params)
            rtt = _median(upstream, f"{sim.url}/api/v1/manager/{bare}", args.loads, **query)
            verdict = "ok" if median / rtt <= goal else "ABOVE GOAL"
            print(f"  {label:<56} median {median * 1000:7.1f} ms = {median / rtt:5.2f} x RTT "
                  f"({rtt * 1000:.1f} ms; {median / nominal:4.2f} x the added latency) "
                  f"(goal <= {goal}: {verdict})")
        for label, params in (("deal totals of group 6 (footer, every page)", {"group": 6}),
                              ("every deal, sells (one streamed pass)", {"side": 1})):
            started = time.perf_counter()
            session.get(portal.url + "/trading/deals/", timeout=600,
                        params={"part": "totals", **params}).raise_for_status()
            seconds = time.perf_counter() - started
            print(f"  {label:<56} {seconds * 1000:7.0f} ms = {seconds / nominal:5.1f} x the "
                  f"added latency")
        _export_figures(portal, session)
    finally:
        if portal is not None:
            portal.stop()
        sim.stop()


def _upstream_session(sim: SimulatorProcess) -> requests.Session:
    """A session that calls the simulator's API directly, as the portal's service layer does."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {sim.login()['access_token']}"
    return session


def _trade_deal(sim: SimulatorProcess) -> dict:
    token = sim.login()["access_token"]
    answer = requests.get(f"{sim.url}/api/v1/manager/deals", timeout=30,
                          params={"limit": 1000, "sort_by": "id", "dir": "ASC"},
                          headers={"Authorization": f"Bearer {token}"})
    return next(d for d in reversed(answer.json()["data"]["records"])
                if d["order_id"] and d["position_id"] and d["direction"] == 1)


def _peak_rss(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _export_figures(portal, session: requests.Session) -> None:
    pid = portal.process.pid
    before = _peak_rss(pid)
    started = time.perf_counter()
    rows = size = 0
    with session.get(portal.url + "/trading/deals/export.csv", stream=True, timeout=600) as answer:
        for chunk in answer.iter_content(64 * 1024):
            rows += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    print(f"  CSV export of every deal: {rows - 1:,} rows, {size / 1e6:.1f} MB in {seconds:.1f} s "
          f"= {(rows - 1) / seconds:,.0f} rows/s; portal peak RSS {before / 1e6:.0f} MB before, "
          f"{_peak_rss(pid) / 1e6:.0f} MB after")


if __name__ == "__main__":
    main()
