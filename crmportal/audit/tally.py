"""Repeated security events, aggregated: at most one audit entry per (kind, source, minute)
at once, and one more for the rest of that minute, with its count.

A flood of failed sign-ins or refused sockets from one address would otherwise write a hash
chained row per attempt (each serialized on the chain head). Here each event adds one to a
counter row keyed by (kind, source, minute), an atomic UPDATE; the first event of a minute
creates the row and is recorded at once with its own detail, so a lone failure shows
immediately. When the minute is over, what it counted beyond the first is recorded as one
entry ("N more ... in the minute from hh:mm") by whoever flushes first: the next counted
event, the audit page, `verify_audit`. `reported` says how many of `count` the log holds, so
an event counted late (after a flush) is reported by the next flush, never lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crmportal.audit.log import client_ip, record
from crmportal.audit.models import AuditEntry, AuditTally

KEEP = timedelta(hours=1)  # fully reported rows older than this are deleted
UNKNOWN_ADDRESS = "an unknown address"


def address_of(address: str) -> str:
    """The source of an anonymous event: its client address."""
    return address or UNKNOWN_ADDRESS


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def count(
    kind: str,
    source: str,
    *,
    what: str,
    action: str,
    detail: str,
    actor=None,
    actor_username: str = "",
    entity_type: str = "",
    entity_id: str = "",
    ip_address: str = "",
    request=None,
    now: datetime | None = None,
) -> bool:
    """Count one event; the first of its (kind, source, minute) is recorded at once with
    `detail`. `what` names the events in the summary ("failed sign-ins"). True if recorded."""
    now = now or timezone.now()
    ip_address = ip_address or client_ip(request)
    flush(now)
    key = {"kind": kind, "source": source[:150], "minute": _minute(now)}
    if AuditTally.objects.filter(**key).update(count=F("count") + 1):
        return False
    signed_in = actor is not None and actor.is_authenticated
    try:
        with transaction.atomic():
            AuditTally.objects.create(
                **key, count=1, reported=1, what=what, action=action,
                actor=actor if signed_in else None,
                # The summary names no one it cannot vouch for (user names typed at sign-in).
                actor_username=actor.get_username() if signed_in else "(anonymous)",
                entity_type=entity_type, ip_address=ip_address[:45],
            )
            record(action, actor=actor if signed_in else None, actor_username=actor_username,
                   entity_type=entity_type, entity_id=entity_id,
                   outcome=AuditEntry.Outcome.DENIED, detail=detail, request=request,
                   ip_address=ip_address)
    except IntegrityError:  # another process counted the first one an instant earlier
        AuditTally.objects.filter(**key).update(count=F("count") + 1)
        return False
    return True


def count_sign_in(action: str, *, what: str, username: str, detail: str, request) -> bool:
    """A refused sign-in (failed, or locked out), counted per client address."""
    return count(action, address_of(client_ip(request)), what=what, action=action,
                 actor_username=username[:150], entity_type="staff", detail=detail,
                 request=request)


def flush(now: datetime | None = None) -> int:
    """Record what finished minutes counted beyond what the log holds; the entries written."""
    now = now or timezone.now()
    current = _minute(now)
    written = 0
    due = AuditTally.objects.filter(minute__lt=current, count__gt=F("reported"))
    for tally in due.select_related("actor").order_by("minute", "id"):
        more = tally.count - tally.reported
        with transaction.atomic():
            # Only one flusher wins a row; a count that grows meanwhile is left for the next.
            won = AuditTally.objects.filter(pk=tally.pk, reported=tally.reported).update(
                reported=tally.count)
            if not won:
                continue
            record(
                tally.action,
                actor=tally.actor,
                actor_username=tally.actor_username,
                entity_type=tally.entity_type,
                outcome=AuditEntry.Outcome.DENIED,
                detail=f"{more} more {tally.what} from {tally.source} in the minute from "
                       f"{tally.minute:%Y-%m-%d %H:%M} UTC",
                ip_address=tally.ip_address,
            )
        written += 1
    AuditTally.objects.filter(minute__lt=current - KEEP, count=F("reported")).delete()
    return written
