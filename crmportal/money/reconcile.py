"""Settling operations whose outcome is unknown: look for the reference in the account's
transaction history. Found: reconciled. Absent in a read that began after `resend_after`:
sent again with the same reference. Absent but too recent: wait. OMTrader not answering: wait.

`resend_after` is the moment the last attempt cannot be under way any more, plus the settle
time (MONEY_SETTLE_SECONDS, long enough for a request still in flight upstream to land). The
sender sets it when its attempt ends unknown; for an attempt whose sender went silent (still
`sent` past the answer deadline) it is the longest a live sender can take, from `sent_at`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from crmportal.audit.models import AuditEntry
from crmportal.money.actions import send, step
from crmportal.money.models import MoneyOperation
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import Transaction
from crmportal.omtrader.errors import OMTraderError

State = MoneyOperation.State
HISTORY_PAGE = 1000
LOOK_BACK = timedelta(hours=1)  # clock skew between the portal and OMTrader, and then some
# A live process sends right after storing or approving; only database waits (SQLite's busy
# timeout is 20 s a statement) come between. Past this, the process stopped in between.
NEVER_SENT_AFTER = timedelta(minutes=2)


@dataclass
class Finding:
    operation: MoneyOperation
    outcome: str  # found, resent, waiting, unreachable
    detail: str = ""
    transaction: Transaction | None = None


def pending() -> list[MoneyOperation]:
    """Operations still to settle: unknown ones, sent ones whose answer is overdue (a portal
    process that died while sending leaves them so), and approved ones never sent."""
    now = timezone.now()
    overdue = now - timedelta(seconds=_answer_deadline())
    unsent = now - NEVER_SENT_AFTER
    return list(MoneyOperation.objects.filter(
        Q(state=State.UNKNOWN) | Q(state=State.SENT, sent_at__lt=overdue)
        | Q(state=State.APPROVED, attempts=0, created_at__lt=unsent, decided_at__isnull=True)
        | Q(state=State.APPROVED, attempts=0, decided_at__lt=unsent)).order_by("created_at"))


def _one_call() -> float:
    return float(settings.OMTRADER_CONNECT_TIMEOUT) + float(settings.OMTRADER_READ_TIMEOUT)


def _answer_deadline() -> float:
    """Seconds after `sent_at` when a send's answer is overdue (its process likely stopped)."""
    return _one_call() + 5


def _longest_send() -> float:
    """Seconds a live sender can still take to put its request out: a login (or waiting for
    another thread's), the call, and after a 401 a new login and the call again."""
    return 3 * _one_call() + 5


def _resend_after(op: MoneyOperation):
    if op.resend_after is not None:
        return op.resend_after
    return op.sent_at + timedelta(seconds=_longest_send() + settings.MONEY_SETTLE_SECONDS)


def find(op: MoneyOperation) -> Transaction | None:
    """The account's transaction carrying this operation's reference, newest first."""
    omt = get_omtrader()
    mark = f"[{op.reference}]"
    since = op.created_at - LOOK_BACK
    page = 1
    while True:
        result = omt.list_transactions(op.account_id, page=page, limit=HISTORY_PAGE,
                                       date_from=since, sort_by="id", direction="DESC")
        for tx in result.items:
            if mark in (tx.comment or ""):
                return tx
        if not result.has_next:
            return None
        page += 1


def reconcile(op: MoneyOperation, *, actor=None) -> Finding:
    if op.state == State.SENT:  # overdue: the sender stopped, or is stuck before sending
        step(op, (State.SENT,), "unknown", actor=actor, outcome="failed",
             detail="No answer arrived; reconciliation will settle it.",
             state=State.UNKNOWN, unknown_since=op.unknown_since or timezone.now(),
             message="No answer arrived (the portal stopped while sending).")
    if op.state == State.APPROVED:  # stored, never sent: the process stopped in between
        step(op, (State.APPROVED,), "not_sent", actor=actor,
             outcome=AuditEntry.Outcome.NOT_APPLIED,
             detail="Stored but never sent (the portal stopped in between).",
             state=State.NOT_SENT, resolved_at=timezone.now(),
             message="The portal stopped before sending it; nothing was sent.")
        return Finding(op, "never sent")
    if op.state != State.UNKNOWN:
        return Finding(op, "settled")
    looked_at = timezone.now()  # an absence proves nothing about what lands after this
    try:
        tx = find(op)
    except OMTraderError as error:
        MoneyOperation.objects.filter(pk=op.pk).update(checked_at=timezone.now())
        return Finding(op, "unreachable", error.message)
    now = timezone.now()
    if tx is not None:
        step(op, (State.UNKNOWN,), State.RECONCILED, actor=actor,
             detail=f"Found {op.reference} in the history as transaction #{tx.id}.",
             facts={"transaction_id": tx.id, "balance_after": tx.balance},
             state=State.RECONCILED, transaction_id=tx.id, balance_after=tx.balance,
             resolved_at=now, checked_at=now, message=f"Found as OMTrader transaction #{tx.id}.")
        return Finding(op, "found", f"transaction #{tx.id}", tx)
    resend_after = _resend_after(op)
    if looked_at < resend_after:
        MoneyOperation.objects.filter(pk=op.pk).update(checked_at=now)
        wait = (resend_after - now).total_seconds()
        return Finding(op, "waiting", f"absent so far; re-sent if still absent in "
                                      f"{max(wait, 0):.0f} s")
    send(op, actor=actor, resend=True)
    return Finding(op, "resent", f"absent after the settle time: sent again "
                                 f"({op.get_state_display().lower()})")


def reconcile_pending(*, actor=None) -> list[Finding]:
    return [reconcile(op, actor=actor) for op in pending()]
