"""The scheduler runs from process start, once per deployment (crmportal/schedule.py).

Embedded: the daphne process reconciles unknown operations although no live socket was ever
opened (so its relay never started). Scale-out: only the `manage.py relay` that holds the
Redis lock runs it, the daphne processes never do, and the relay that takes the lock over
runs it next. The scale-out test needs the real Redis (tests/live/test_scaleout.py: it fails,
never skips, when Redis is missing).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import redis

from tests.live.test_scaleout import redis_database
from tests.money.conftest import MONEY_PATH, history_count
from tests.support.portal import PortalProcess, embedded_env

STARTED = "schedule: started"
LOST_REPLIES = ({"kind": "after_status", "status": 502}, {"kind": "after_close"},
                {"kind": "after_hang", "seconds": 3})
# Run inside the portal's environment (`manage.py shell`): deposits made as "bo", each meeting
# the next fault the test queued. The portal process itself is not involved.
SUBMIT = """
from decimal import Decimal
from django.contrib.auth import get_user_model
from crmportal.money.actions import do_submit_operation
from crmportal.omtrader.client import get_omtrader
omt = get_omtrader()
account = omt.get_account({account})
owner = omt.get_client(account.client_id)
member = get_user_model().objects.get(username="bo")
for n in range({count}):
    op = do_submit_operation(account, owner, "deposit", Decimal("5"), "no socket",
                             "{prefix}-%d" % n, actor=member)
    print(op.reference, op.state)
"""


def portal_env(simulator, **more: str) -> dict[str, str]:
    """The embedded shape unless `more` says otherwise."""
    return embedded_env(simulator, **{"OMTRADER_READ_TIMEOUT": "2",
                                      "MONEY_RECONCILE_EVERY": "1",
                                      "MONEY_SETTLE_SECONDS": "0", **more})


def deposits(portal, account_id: int, count: int, prefix: str) -> list[tuple[str, str]]:
    """Each deposit's reference and the state its sender saw."""
    out = portal.manage("shell", "-c", SUBMIT.format(account=account_id, count=count,
                                                      prefix=prefix))
    made = [tuple(line.split()) for line in out.splitlines() if line.startswith("CRM-")]
    assert len(made) == count, out
    return made


def lose_replies(portal, simulator, account_id: int, faults, prefix: str) -> list[str]:
    """Operations whose replies were lost: each is unknown in the portal's database."""
    for fault in faults:
        simulator.fault(method="POST", path=MONEY_PATH, **fault)
    made = deposits(portal, account_id, len(faults), prefix)
    assert [state for _, state in made] == ["unknown"] * len(faults)
    return [reference for reference, _ in made]


def states(portal, references: list[str]) -> dict[str, str]:
    with sqlite3.connect(Path(portal.workdir) / "db.sqlite3") as db:
        rows = db.execute("SELECT reference, state FROM money_moneyoperation").fetchall()
    return {reference: state for reference, state in rows if reference in references}


def wait_reconciled(portal, references: list[str], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while (found := states(portal, references)) != dict.fromkeys(references, "reconciled"):
        if time.monotonic() > deadline:
            raise AssertionError(f"not reconciled within {timeout:.0f} s: {found}")
        time.sleep(0.2)


def audit_trail(portal, reference: str, until: str, timeout: float = 10.0) -> list[str]:
    """The operation's audit actions, once `until` is among them (it follows the state)."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(Path(portal.workdir) / "db.sqlite3") as db:
            actions = [action for (action,) in db.execute(
                "SELECT action FROM audit_auditentry WHERE entity_id = ? ORDER BY id",
                (reference,))]
        if until in actions or time.monotonic() > deadline:
            return actions
        time.sleep(0.2)


def daphne_log(portal) -> str:
    return (Path(portal.workdir) / "daphne.log").read_text(errors="replace")


def test_embedded_portal_reconciles_with_no_socket_ever_opened(simulator, omt, pick_account):
    account = pick_account()
    portal = PortalProcess(staff={"bo": ("backoffice", [])}, env=portal_env(simulator))
    try:
        portal.start()
        references = lose_replies(portal, simulator, account.id, LOST_REPLIES, "embedded")
        wait_reconciled(portal, references)
        log = daphne_log(portal)
    finally:
        portal.stop()
    assert log.count(STARTED) == 1
    assert "live relay" not in log  # nobody opened a live page: the relay never ran
    for reference in references:
        assert history_count(omt, account.id, reference) == 1


@pytest.mark.redis
def test_scale_out_only_the_relay_holding_the_lock_runs_it(simulator, omt, pick_account):
    account = pick_account()
    url = redis_database()
    portal = PortalProcess(staff={"bo": ("backoffice", [])},
                           env=portal_env(simulator, REDIS_URL=url, LIVE_RELAY="external"))
    relays = []
    try:
        portal.start()
        relays.append(portal.spawn("relay-1", "relay"))
        relays[0].wait_for_log(STARTED)
        relays.append(portal.spawn("relay-2", "relay"))
        relays[1].wait_for_log("another relay holds the lock")
        first = lose_replies(portal, simulator, account.id, LOST_REPLIES[:1], "holder")
        wait_reconciled(portal, first)
        assert STARTED not in relays[1].read_log()

        relays[0].stop()  # SIGTERM: the lock is freed, the waiting relay takes over
        relays[1].wait_for_log(STARTED)
        second = lose_replies(portal, simulator, account.id, LOST_REPLIES[1:2], "successor")
        wait_reconciled(portal, second)
        log = daphne_log(portal)
    finally:
        for relay in relays:
            relay.stop()
        portal.stop()
        redis.Redis.from_url(url).flushdb()
    assert STARTED not in log  # the daphne process (LIVE_RELAY=external) never runs it
    assert relays[0].read_log().count(STARTED) == 1
    for reference in first + second:
        assert history_count(omt, account.id, reference) == 1


def test_a_sender_stuck_past_the_answer_deadline_is_never_doubled(simulator, omt, pick_account):
    """The sender's request leaves after the reconciler already counts its answer as overdue
    (as when it waited for a connection or logged in again after a 401): the reconciler looks,
    finds nothing yet, and must not send again; the late answer changes nothing either."""
    account = pick_account()
    # The reconciler (daphne) counts an answer overdue after 1 + 2 + 5 = 8 s; no resend before
    # 3 * 3 + 5 = 14 s. The sender waits up to 30 s and OMTrader books it at 11 s.
    portal = PortalProcess(staff={"bo": ("backoffice", [])}, env=portal_env(
        simulator, OMTRADER_CONNECT_TIMEOUT="1", OMTRADER_READ_TIMEOUT="2"))
    try:
        portal.start()
        portal.env = {**portal.env, "OMTRADER_READ_TIMEOUT": "30"}  # the sender's, from now
        simulator.fault(method="POST", path=MONEY_PATH, kind="delay", seconds=11)
        [(reference, state)] = deposits(portal, account.id, 1, "stuck")
        assert state == "unknown"  # the reconciler's, which took it over; not "confirmed"
        wait_reconciled(portal, [reference])
        actions = audit_trail(portal, reference, until="money.reconciled")
    finally:
        portal.stop()
    assert history_count(omt, account.id, reference) == 1
    assert actions == ["money.sent", "money.unknown", "money.reconciled"]
