"""Upstream figures for the service layer, against a simulator subprocess of its own.

    .venv/bin/python bench/upstream.py [--latency-ms 50] [--seconds 5] [--threads 20]

Prints:
- the "client 360" bundle (client, its accounts, their open positions, recent deals and
  transactions) in upstream round trips (time / added latency), cold and with caches warm;
- logins per 1,000 calls, with the default token lifetime and with a short one;
- calls/s from N threads, with and without the added latency;
- new TCP connections per 1,000 calls (the simulator's "connections" counter);
- with a flaky upstream (a fifth of calls answered 500, then 503): client 360 bundles that
  came back whole, with a panel missing, or not at all (`--flaky 0` skips it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput run")
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20, help="warm client 360 samples")
    parser.add_argument("--flaky", type=int, default=300, help="client 360 bundles per status")
    args = parser.parse_args()

    from tests.support.simulator import SimulatorProcess

    sim = SimulatorProcess().start()
    try:
        omt = _django(sim)
        print(f"OMTrader upstream bench: simulator {sim.url}, pool {omt.config.pool_size}, "
              f"{args.threads} threads, added latency {args.latency_ms:g} ms")
        _client_360(sim, omt, args.latency_ms, args.repeat)
        _throughput(sim, omt, args.latency_ms, args.seconds, args.threads)
        _throughput(sim, omt, 0, args.seconds, args.threads)
        _short_tokens(sim, args.seconds * 2, args.threads)
        if args.flaky:
            _flaky(sim, args.flaky)
    finally:
        sim.stop()


def _django(sim):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmportal.settings")
    os.environ.update(OMTRADER_URL=sim.url, OMTRADER_WS_URL=sim.ws_url,
                      OMTRADER_USERNAME=sim.username, OMTRADER_PASSWORD=sim.password,
                      LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"))
    import django

    django.setup()
    from crmportal.omtrader.client import get_omtrader

    return get_omtrader()


def _client_360(sim, omt, latency_ms: float, repeat: int) -> None:
    from crmportal.omtrader.bundles import client_overview

    counts: dict[int, int] = {}
    for account in omt.iter_all(omt.list_accounts):
        counts[account.client_id] = counts.get(account.client_id, 0) + 1
    busy = sorted(counts, key=counts.get, reverse=True)[:repeat]
    rtt = latency_ms / 1000 or 0.001
    sim.control(latency_ms=latency_ms)

    started = time.perf_counter()
    overview = client_overview(omt, busy[0])
    cold = time.perf_counter() - started
    calls = 2 + 2 + len(overview.accounts)
    print(f"client 360 ({len(overview.accounts)} accounts, {calls} calls), first page: "
          f"{cold * 1000:7.1f} ms = {cold / rtt:.2f} x {latency_ms:g} ms")

    for client_id in busy:  # first visits: the account ids are not known yet
        client_overview(omt, client_id)
    samples = []
    for client_id in busy:
        started = time.perf_counter()
        client_overview(omt, client_id)
        samples.append(time.perf_counter() - started)
    median, worst = statistics.median(samples), max(samples)
    print(f"client 360, caches warm ({len(samples)} clients): median "
          f"{median * 1000:7.1f} ms = {median / rtt:.2f} x {latency_ms:g} ms, worst "
          f"{worst / rtt:.2f} x (goal <= 1.5)")


def _throughput(sim, omt, latency_ms: float, seconds: float, threads: int) -> None:
    sim.control(latency_ms=latency_ms)
    start = sim.counters()
    _hammer(omt, 0.5, threads)  # a token, and the pool grown to the concurrency
    before = sim.counters()
    calls, errors = _hammer(omt, seconds, threads)
    after = sim.counters()
    logins = after["logins"] - before["logins"]
    connections = after["connections"] - before["connections"]
    grown = before["connections"] - start["connections"]
    print(f"{threads} threads, added latency {latency_ms:g} ms: {calls / seconds:7.0f} calls/s "
          f"({calls} calls, {errors} errors); logins per 1,000 calls: "
          f"{1000 * logins / max(calls, 1):.2f}; new TCP connections per 1,000 calls: "
          f"{1000 * connections / max(calls, 1):.2f} (warm-up opened {grown})")


def _short_tokens(sim, seconds: float, threads: int) -> None:
    from crmportal.omtrader.client import get_omtrader, reset_omtrader

    lifetime = 3
    sim.control(latency_ms=0, token_lifetime=lifetime)
    reset_omtrader()
    from django.core.cache import cache

    cache.clear()
    omt = get_omtrader()
    before = sim.counters()["logins"]
    calls, errors = _hammer(omt, seconds, threads)
    logins = sim.counters()["logins"] - before
    print(f"token lifetime {lifetime} s, {seconds:g} s of calls: {logins} logins for {calls} calls"
          f" ({errors} errors) = {logins / (seconds / lifetime):.2f} per token lifetime, "
          f"{1000 * logins / max(calls, 1):.3f} per 1,000 calls")


def _flaky(sim, loads: int) -> None:
    from crmportal.omtrader.bundles import client_overview
    from crmportal.omtrader.client import get_omtrader, reset_omtrader
    from crmportal.omtrader.errors import OMTraderError

    sim.control(latency_ms=0, token_lifetime=3600)
    reset_omtrader()
    omt = get_omtrader()
    client_id = omt.list_accounts(limit=1).items[0].client_id
    client_overview(omt, client_id)  # the login and the client's account ids held
    for status in (500, 503):
        sim.control(error_rate=0.2, error_status=status)
        whole = partial = failed = 0
        for _ in range(loads):
            try:
                overview = client_overview(omt, client_id)
            except OMTraderError:
                failed += 1
                continue
            whole, partial = whole + (not overview.failed), partial + bool(overview.failed)
        sim.control(error_rate=0)
        print(f"a fifth of calls answered {status}, {omt.config.retries} retries: "
              f"{loads} client 360 bundles: {whole} whole, {partial} with a panel missing, "
              f"{failed} failed ({100 * (whole + partial) / loads:.1f} % shown)")


def _hammer(omt, seconds: float, threads: int) -> tuple[int, int]:
    from crmportal.omtrader.errors import OMTraderError

    deadline = time.monotonic() + seconds
    totals = [0, 0]
    lock = threading.Lock()

    def work() -> None:
        rng = random.Random(threading.get_ident())
        done = failed = 0
        while time.monotonic() < deadline:
            try:
                if rng.random() < 0.5:
                    omt.get_client(rng.randint(1, 500))
                else:
                    omt.list_positions(account_id=rng.randint(1, 800), limit=20)
                done += 1
            except OMTraderError:
                failed += 1
        with lock:
            totals[0] += done
            totals[1] += failed

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return totals[0], totals[1]


if __name__ == "__main__":
    main()
