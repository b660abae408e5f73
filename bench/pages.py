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
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    rtt = args.latency_ms / 1000
    if args.throughput:
        _throughput_only(args)
        return

    sim = SimulatorProcess().start()
    try:
        print(f"Clients and KYC page bench: simulator {sim.url}, added latency "
              f"{args.latency_ms:g} ms, {args.loads} loads per median, {args.staff} staff, "
              f"one daphne process, SQLite, DEBUG {'on' if args.debug else 'off'}")
        busy = _busiest_client(sim)
        for max_age in ("0", "5"):
            portal = _portal(sim, args.staff, {"CLIENT_INDEX_MAX_AGE": max_age}, args.debug)
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
            ("KYC queue (Compliance)", reviewer, "/kyc/", {}, 1.3)]
    if with_360:
        rows.append((f"client edit (client {busy})", session, f"/clients/{busy}/edit/", {}, 1.5))
        rows.append((f"client 360 (client {busy}, busiest)", session, f"/clients/{busy}/",
                     {}, 1.5))
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
    from django.core.paginator import Paginator
    from django.http import QueryDict

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
    for label, user, query in cases:
        samples, found = [], 0
        for _ in range(20):
            started = time.perf_counter()
            form, _ = ClientFilterForm.parse(QueryDict(query))
            rows = form.order(form.filter(index.visible_to(user))).defer("record", "search_text")
            page = Paginator(rows, 50).get_page(QueryDict(query).get("page", 1))
            list(page)
            found = page.paginator.count
            samples.append(time.perf_counter() - started)
        print(f"  {label:<34} {statistics.median(samples) * 1000:7.1f} ms  ({found:,} match)")


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


if __name__ == "__main__":
    main()
