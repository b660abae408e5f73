"""Writes of the money area. Each takes the acting member (`actor=`; None for the scheduler),
moves the operation from one state to the next with a compare-and-set update (two tabs, two
approvers or two reconcilers cannot both win), and records an audit entry for every state
change: requested, approved, rejected, expired, sent, confirmed, unknown, refused, not sent,
reconciled (docs/money.md)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.clients import kyc
from crmportal.money import rules
from crmportal.money.models import MoneyOperation
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import Client, TradingAccount
from crmportal.omtrader.errors import OMTraderError, Unavailable
from crmportal.staff.scope import may_write_account

State = MoneyOperation.State
ENTITY = "money_operation"
SYSTEM = "reconciler"  # the audit log's actor name for what the scheduler does


class Refused(Exception):
    """The portal refuses the operation before anything is sent (the message says why)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Reused(Refused):
    """The one-time token was used already: the operation it made is `operation`."""

    def __init__(self, operation: MoneyOperation):
        super().__init__(f"This confirmation was already submitted: it is operation "
                         f"{operation.reference} ({operation.get_state_display().lower()}). "
                         "Nothing was sent twice.")
        self.operation = operation


def _facts(op: MoneyOperation, **extra: Any) -> dict[str, Any]:
    return {"reference": op.reference, "account_id": op.account_id, "type": op.type,
            "amount": op.amount, "currency": op.currency, "state": op.state, **extra}


def audit_step(op: MoneyOperation, action: str, *, actor, before: str | None = None,
           outcome: str = AuditEntry.Outcome.OK, detail: str = "", **extra: Any) -> None:
    record(f"money.{action}", actor=actor, actor_username="" if actor else SYSTEM,
           entity_type=ENTITY, entity_id=op.reference, group_id=op.group_id,
           before={"state": before} if before else None, after=_facts(op, **extra),
           outcome=outcome, detail=detail)


def step(op: MoneyOperation, expected: tuple[str, ...], action: str, *, actor,
         outcome: str = AuditEntry.Outcome.OK, detail: str = "", facts: dict | None = None,
         **changes: Any) -> bool:
    """One state change: the compare-and-set and its audit entry commit together, so no
    crash leaves a change unaudited. False when someone else moved the operation first."""
    before = op.state
    with transaction.atomic():
        if not move(op, expected, **changes):
            return False
        audit_step(op, action, actor=actor, before=before, outcome=outcome, detail=detail,
                   **(facts or {}))
    return True


def move(op: MoneyOperation, expected: tuple[str, ...], **changes: Any) -> bool:
    """Compare and set: apply `changes` only while the row is still in one of `expected`
    states with the same number of attempts. False when someone else moved it first."""
    updated = MoneyOperation.objects.filter(
        pk=op.pk, state__in=expected, attempts=op.attempts).update(**changes)
    if updated:
        for name, value in changes.items():
            setattr(op, name, value)
    return bool(updated)


# -- a new operation ---------------------------------------------------------------------------


def do_submit_operation(account: TradingAccount, client: Client | None, kind: str,
                        amount: Decimal, comment: str, token: str, *,
                        actor) -> MoneyOperation:
    """Store the intent (unique reference, one-time token), then send it, or leave it waiting
    for a second member when it needs approval. Refused: nothing was stored or sent."""
    reason = denial(account, client, kind, amount, actor)
    if reason:
        record("money.refuse", actor=actor, entity_type="account", entity_id=account.id,
               group_id=account.group_id, after={"type": kind, "amount": amount},
               outcome=AuditEntry.Outcome.DENIED, detail=reason)
        raise Refused(reason)
    op = _store(account, kind, amount, comment, token, actor)
    if op.state == State.REQUESTED:
        return op
    return send(op, actor=actor)


def denial(account: TradingAccount, client: Client | None, kind: str, amount: Decimal,
            actor) -> str:
    if not may_write_account(actor, account):
        return "This account is not in your group scope."
    if kind not in rules.TYPES:
        return "Choose a valid operation."
    if rules.kyc_required(kind):
        state = kyc.state_of(client.kyc_status) if client is not None else kyc.UNKNOWN
        if state != kyc.APPROVED:
            return (f"{rules.TYPES[kind]}s need the client's KYC approved; the KYC of client "
                    f"#{account.client_id} is {kyc.STATES.get(state, 'unknown').lower()}.")
    return rules.stop_reason(account, kind, amount)


def _store(account: TradingAccount, kind: str, amount: Decimal, comment: str, token: str,
           actor) -> MoneyOperation:
    now = timezone.now()
    waits = rules.needs_approval(kind, amount, account.currency)
    for _ in range(5):  # a reference collision (8 hex digits) is rare; the token's is reuse
        op = MoneyOperation(
            reference=f"CRM-{secrets.token_hex(4)}", token=token, account_id=account.id,
            client_id=account.client_id, group_id=account.group_id, currency=account.currency,
            digits=account.currency_digits if account.currency_digits is not None else 2,
            type=kind, amount=amount, comment=comment.strip()[:160],
            state=State.REQUESTED if waits else State.APPROVED, requested_by=actor,
            requested_by_username=actor.get_username(), created_at=now,
            expires_at=now + timedelta(hours=settings.MONEY_REQUEST_HOURS) if waits else None)
        try:
            with transaction.atomic():  # a request is stored with its audit entry
                op.save()
                if waits:
                    audit_step(op, "requested", actor=actor,
                               detail=f"Needs a second member's approval by "
                                      f"{op.expires_at:%Y-%m-%d %H:%M} UTC")
            return op
        except IntegrityError:
            earlier = MoneyOperation.objects.filter(token=token).first()
            if earlier is not None:
                record("money.refuse", actor=actor, entity_type=ENTITY,
                       entity_id=earlier.reference, group_id=earlier.group_id,
                       outcome=AuditEntry.Outcome.DENIED,
                       detail="The same confirm page was submitted again; nothing was sent.")
                raise Reused(earlier) from None
    raise Refused("The portal could not give this operation a unique reference; try again.")


# -- sending -----------------------------------------------------------------------------------


def send(op: MoneyOperation, *, actor, resend: bool = False) -> MoneyOperation:
    """Send an approved (or, on reconciliation, an absent unknown) operation once. The
    outcome is confirmed, refused, not sent (never reached OMTrader) or unknown."""
    expected = (State.UNKNOWN,) if resend else (State.APPROVED,)
    if not step(op, expected, "resent" if resend else "sent", actor=actor,
                detail=f"attempt {op.attempts + 1}", state=State.SENT, sent_at=timezone.now(),
                resend_after=None, attempts=op.attempts + 1):
        op.refresh_from_db()
        return op
    try:
        tx = get_omtrader().transfer_money(op.account_id, op.type, op.amount,
                                           op.upstream_comment)
    except OMTraderError as error:
        return _failed(op, error, actor=actor, resend=resend)
    final = State.RECONCILED if resend else State.CONFIRMED
    if not step(op, (State.SENT,), final, actor=actor,
                facts={"transaction_id": tx.id, "balance_after": tx.balance}, state=final,
                transaction_id=tx.id, balance_after=tx.balance, resolved_at=timezone.now(),
                message=""):
        return _overtaken(op)
    return op


def _overtaken(op: MoneyOperation) -> MoneyOperation:
    """This attempt answered so late that reconciliation took the operation over (it was
    overdue): its state is reconciliation's to set, from the history; nothing is recorded."""
    op.refresh_from_db()
    return op


def _failed(op: MoneyOperation, error: OMTraderError, *, actor, resend: bool) -> MoneyOperation:
    now = timezone.now()
    if error.maybe_applied or (resend and isinstance(error, Unavailable)):
        # A timeout, a dropped connection, a 5xx: OMTrader may have booked it. On a resend
        # even "not reached" stays unknown, so the scheduler keeps trying. This attempt is
        # over now: a request of it still in flight has landed by the settle time.
        settled = now + timedelta(seconds=settings.MONEY_SETTLE_SECONDS)
        moved = step(op, (State.SENT,), "unknown", actor=actor,
                     outcome=AuditEntry.Outcome.FAILED,
                     detail=f"Outcome unknown ({error.message}); reconciliation will look for "
                            f"{op.reference} in the account's history before anything is "
                            "re-sent.",
                     state=State.UNKNOWN, resend_after=settled,
                     unknown_since=op.unknown_since or now, message=error.message[:500])
    elif not isinstance(error, Unavailable):  # OMTrader answered no: nothing was booked
        moved = step(op, (State.SENT,), "refused", actor=actor,
                     outcome=AuditEntry.Outcome.REJECTED, detail=error.message,
                     state=State.REFUSED, resolved_at=now, message=error.message[:500])
    else:
        moved = step(op, (State.SENT,), "not_sent", actor=actor,
                     outcome=AuditEntry.Outcome.NOT_APPLIED, detail=f"Not sent: {error.message}",
                     state=State.NOT_SENT, resolved_at=now, message=error.message[:500])
    return op if moved else _overtaken(op)


# -- maker-checker -----------------------------------------------------------------------------


def decision_blocker(op: MoneyOperation, member) -> str:
    """Why `member` may not approve or reject this request, or ""."""
    if op.state != State.REQUESTED:
        return f"Operation {op.reference} is {op.get_state_display().lower()}, not waiting."
    if op.expires_at is not None and op.expires_at <= timezone.now():
        return f"The request {op.reference} expired on {op.expires_at:%Y-%m-%d %H:%M} UTC."
    if op.requested_by_id == member.pk or op.requested_by_username == member.get_username():
        return "You requested this operation: another member must approve or reject it."
    if op.client_id is not None:
        change = kyc.last_identity_change(op.client_id)
        if change is not None and (change.actor_id == member.pk
                                   or change.actor_username == member.get_username()):
            return (f"You last changed the identity of client #{op.client_id} (audit entry "
                    f"{change.id}): another member must decide on money for this client.")
    return ""


def do_approve(op: MoneyOperation, *, actor) -> MoneyOperation:
    _decide(op, State.APPROVED, "", actor)
    return send(op, actor=actor)


def do_reject(op: MoneyOperation, reason: str, *, actor) -> MoneyOperation:
    return _decide(op, State.REJECTED, reason, actor)


def _decide(op: MoneyOperation, state: str, reason: str, actor) -> MoneyOperation:
    blocker = decision_blocker(op, actor)
    verb = "approve" if state == State.APPROVED else "reject"
    if blocker:
        record(f"money.{verb}", actor=actor, entity_type=ENTITY, entity_id=op.reference,
               group_id=op.group_id, outcome=AuditEntry.Outcome.DENIED, detail=blocker)
        raise Refused(blocker)
    now = timezone.now()
    if not step(op, (State.REQUESTED,), state, actor=actor, detail=reason.strip(),
                state=state, decided_by=actor, decided_by_username=actor.get_username(),
                decided_at=now, decision_reason=reason.strip()[:500],
                resolved_at=now if state == State.REJECTED else None):
        op.refresh_from_db()
        raise Refused(f"Someone decided on {op.reference} first: it is "
                      f"{op.get_state_display().lower()}.")
    return op


def expire_requests(now=None) -> int:
    """Requests nobody decided on in time become expired (each audited)."""
    now = now or timezone.now()
    count = 0
    for op in MoneyOperation.objects.filter(state=State.REQUESTED, expires_at__lte=now):
        if step(op, (State.REQUESTED,), "expired", actor=None,
                detail="No second member decided before it expired; nothing was sent.",
                state=State.EXPIRED, resolved_at=now):
            count += 1
    return count
