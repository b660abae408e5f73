"""Money operations exactly once, against a simulator subprocess that loses replies.

    .venv/bin/python bench/money.py [--ops 1000] [--threads 8] [--fault-rate 0.2]
                                    [--database-url postgres://.../money_bench]

Runs `--ops` randomized operations (random accounts, types and amounts, some above the
approval threshold and every credit, approved by a second member) through the portal's own
action functions (crmportal/money/actions.py), while the simulator answers a fifth of the
money calls badly: the write carried out and then a 5xx, a dropped connection, or an answer
later than the read timeout; a 503 before anything is done; or 2 s of latency. Then the
reconciliation job runs as the scheduler runs it until nothing is unknown.

Prints: duplicates upstream (goal 0), operations lost (goal 0: booked upstream but not by the
portal's account of it, or the other way round), still unknown after reconciliation (goal 0),
balances that do not add up (goal 0), operations/s, and the time from an unknown outcome to
its reconciliation (p50, p99).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

READ_TIMEOUT = 3.0  # the client's; a hang lasts longer, a 2 s latency does not
FAULTS = (
    {"kind": "after_status", "status": 502},
    {"kind": "after_close"},
    {"kind": "after_hang", "seconds": READ_TIMEOUT + 1},
    {"kind": "status", "status": 503},
    {"kind": "delay", "seconds": 2},
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="",
                        help="an empty database to use (default: a new SQLite file)")
    args = parser.parse_args()

    from tests.support.simulator import SimulatorProcess

    sim = SimulatorProcess().start()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            _django(sim, args.database_url or f"sqlite:///{workdir}/db.sqlite3")
            run(sim, args)
    finally:
        sim.stop()


def _django(sim, database_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crmportal.settings")
    os.environ.update(DATABASE_URL=database_url, LOG_LEVEL="ERROR",
                      OMTRADER_URL=sim.url, OMTRADER_WS_URL=sim.ws_url,
                      OMTRADER_USERNAME=sim.username, OMTRADER_PASSWORD=sim.password,
                      OMTRADER_READ_TIMEOUT=str(READ_TIMEOUT), MONEY_SETTLE_SECONDS="6")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run(sim, args) -> None:
    from django.conf import settings

    from crmportal.money.models import MoneyOperation
    from crmportal.omtrader.client import get_omtrader
    from crmportal.staff.members import create_staff

    maker = create_staff("maker", "Back office", "bench-pass-1234", all_groups=True)
    checker = create_staff("checker", "Supervisor", "bench-pass-1234", all_groups=True)
    omt = get_omtrader()
    sim.control(market_paused=True)  # closing trades would move balances too
    clients = {c.id: c for c in omt.iter_all(omt.list_clients)}
    accounts = [a for a in omt.iter_all(omt.list_accounts)
                if clients.get(a.client_id) and clients[a.client_id].kyc_status == 0]
    start_balance = {a.id: a.balance for a in accounts}
    rng = random.Random(args.seed)
    rng.shuffle(accounts)
    print(f"Money bench: {args.ops} operations on {len(accounts)} accounts, {args.threads} "
          f"threads, {args.fault_rate:.0%} of money calls faulty, read timeout {READ_TIMEOUT:g} s, "
          f"settle {settings.MONEY_SETTLE_SECONDS:g} s, reconciliation every "
          f"{settings.MONEY_RECONCILE_EVERY:g} s")

    counts: Counter[str] = Counter()
    lock = threading.Lock()
    shares = [accounts[i::args.threads] for i in range(args.threads)]
    per_thread = [args.ops // args.threads + (i < args.ops % args.threads)
                  for i in range(args.threads)]

    def worker(index: int) -> None:
        from django.db import connection

        local = random.Random(args.seed * 1000 + index)
        try:
            for _ in range(per_thread[index]):
                outcome = one_operation(sim, omt, local, shares[index], clients, maker, checker,
                                        args.fault_rate)
                with lock:
                    counts[outcome] += 1
        finally:
            connection.close()

    stop = threading.Event()
    scheduler = threading.Thread(target=schedule_like_the_relay, args=(stop,))
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for thread in [*threads, scheduler]:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    stop.set()
    scheduler.join()
    total = sum(counts.values())
    print(f"  submitted {total} in {elapsed:.1f} s: {total / elapsed:.1f} operations/s; "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))

    unknown_before = MoneyOperation.objects.filter(state__in=("unknown", "sent")).count()
    rounds, reconcile_started = reconcile_until_settled()
    print(f"  unknown after the run: {unknown_before}; reconciliation rounds: {rounds}, "
          f"{time.perf_counter() - reconcile_started:.1f} s")
    report(omt, start_balance)


def one_operation(sim, omt, rng, accounts, clients, maker, checker, fault_rate) -> str:
    from crmportal.money.actions import Refused, do_approve, do_submit_operation

    account = omt.get_account(rng.choice(accounts).id)
    kind = rng.choices(("deposit", "withdrawal", "credit_in", "credit_out"), (50, 25, 15, 10))[0]
    if kind == "credit_out" and not account.credit:
        kind = "credit_in"
    big = rng.random() < 0.1
    amount = Decimal(rng.randint(10_001, 20_000) if big else rng.randint(1, 5_000))
    amount += Decimal(rng.randint(0, 99)) / 100
    if kind == "withdrawal":
        amount = min(amount, (account.margin_free or 0) // 4)
    if kind == "credit_out":
        amount = min(amount, account.credit)
    if amount <= 0:
        kind, amount = "deposit", Decimal(rng.randint(1, 5_000))
    _maybe_fault(sim, rng, account.id, fault_rate)  # the account's next money call
    try:
        op = do_submit_operation(account, clients[account.client_id], kind, amount, "bench",
                                 uuid.uuid4().hex, actor=maker)
        if op.state == "requested":
            op = do_approve(op, actor=checker)
    except Refused as refused:
        return f"refused by the portal ({refused.message.split(':')[0]})"
    if op.state == "requested":
        return "requested"
    return op.state


def _maybe_fault(sim, rng, account_id: int, fault_rate: float) -> None:
    if rng.random() < fault_rate:
        sim.fault(method="POST", path=f"/api/v1/manager/accounts/{account_id}/money",
                  **rng.choice(FAULTS))


def schedule_like_the_relay(stop: threading.Event) -> None:
    """The deployment scheduler's job (crmportal/schedule.py), every MONEY_RECONCILE_EVERY s."""
    from django.conf import settings

    from crmportal import schedule

    while not stop.wait(settings.MONEY_RECONCILE_EVERY):
        schedule._reconcile()


def reconcile_until_settled(limit: float = 300.0):
    """After the run, the same job until nothing is unknown."""
    from django.conf import settings

    from crmportal import schedule
    from crmportal.money.models import MoneyOperation

    started = time.perf_counter()
    rounds = 0
    while time.perf_counter() - started < limit:
        if not MoneyOperation.objects.filter(state__in=("unknown", "sent")).exists():
            break
        schedule._reconcile()
        rounds += 1
        time.sleep(settings.MONEY_RECONCILE_EVERY)
    return rounds, started


def report(omt, start_balance: dict) -> None:
    from crmportal.money.history import reference_in
    from crmportal.money.models import MoneyOperation

    ops = list(MoneyOperation.objects.all())
    booked: Counter[str] = Counter()
    moved: dict[int, Decimal] = {}
    for account_id in {op.account_id for op in ops}:
        for tx in omt.iter_all(omt.list_transactions, account_id=account_id):
            reference = reference_in(tx.comment)
            if not reference:
                continue  # seeded history, before the run
            booked[reference] += 1
            if tx.type in ("deposit", "withdrawal"):
                sign = -1 if tx.type == "withdrawal" else 1
                moved[account_id] = moved.get(account_id, Decimal(0)) + sign * tx.amount
    done = {"confirmed", "reconciled"}
    duplicates = sum(1 for op in ops if booked[op.reference] > 1)
    # Lost: the portal says booked and OMTrader has nothing, or the other way round.
    lost = sum(1 for op in ops if (op.state in done) != (booked[op.reference] > 0))
    unknown = sum(1 for op in ops if op.state in ("unknown", "sent", "approved"))
    off = sum(1 for account_id, total in moved.items()
              if omt.get_account(account_id).balance != start_balance[account_id] + total)
    waits = sorted((op.resolved_at - op.unknown_since).total_seconds() for op in ops
                   if op.unknown_since and op.resolved_at)
    states = Counter(op.state for op in ops)
    print("  states: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    for op in ops:
        if op.state in ("refused", "not_sent"):
            print(f"    {op.reference} {op.state} (attempts {op.attempts}): {op.message}")
    print(f"  duplicates upstream: {duplicates} (goal 0)")
    print(f"  operations lost: {lost} (goal 0)")
    print(f"  still unknown after reconciliation: {unknown} (goal 0)")
    print(f"  accounts whose balance does not add up: {off} (goal 0)")
    if waits:
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        print(f"  unknown -> reconciled: {len(waits)} operations, p50 "
              f"{statistics.median(waits):.1f} s, p99 {p99:.1f} s")


if __name__ == "__main__":
    main()
