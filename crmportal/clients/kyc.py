"""KYC state in one place: what an upstream kyc_status code means, the queue, four eyes.

OMTrader's enum has 0 accept / 1 reject (null = not yet reviewed) while the seed prose speaks
of pending / verified / rejected (docs/omtrader-api.md §7, §9.12). KYC_STATUS_CODES picks
the reading: "enum" (the default, what the simulator speaks) or "prose" (0 pending, 1 verified,
2 rejected). Every page, filter and write goes through the tables below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from crmportal.audit.models import AuditEntry
from crmportal.clients.fields import FOUR_EYES
from crmportal.clients.models import KycReview

PENDING, APPROVED, REJECTED, UNKNOWN = "pending", "approved", "rejected", "unknown"
STATES = {PENDING: "Pending", APPROVED: "Approved", REJECTED: "Rejected"}
BADGES = {PENDING: "warn", APPROVED: "ok", REJECTED: "danger", UNKNOWN: "info"}

_READ = {
    "enum": {None: PENDING, 0: APPROVED, 1: REJECTED},
    "prose": {None: PENDING, 0: PENDING, 1: APPROVED, 2: REJECTED},
}
_WRITE = {"enum": {APPROVED: 0, REJECTED: 1}, "prose": {APPROVED: 1, REJECTED: 2}}

# Actions whose before/after say which client fields a staff member changed.
EDIT_ACTIONS = ("client.create", "client.update")


def state_of(code: int | None) -> str:
    return _READ[settings.KYC_STATUS_CODES].get(code, UNKNOWN)


def label_of(code: int | None) -> str:
    state = state_of(code)
    return STATES.get(state, f"Unknown code {code}")


def badge_of(code: int | None) -> str:
    return BADGES[state_of(code)]


def code_for(decision: str) -> int:
    return _WRITE[settings.KYC_STATUS_CODES][decision]


def state_q(state: str, field: str = "kyc_status") -> Q:
    """An index filter for clients in one KYC state, under the configured reading."""
    codes = [code for code, s in _READ[settings.KYC_STATUS_CODES].items() if s == state]
    q = Q(**{f"{field}__in": [c for c in codes if c is not None]})
    if None in codes:
        q |= Q(**{f"{field}__isnull": True})
    return q


@dataclass(frozen=True)
class Waiting:
    since: datetime | None
    past_sla: bool
    near_sla: bool


def waiting(since: datetime | None, now: datetime | None = None) -> Waiting:
    """How a waiting client stands against the SLA (near = in its last quarter)."""
    if since is None:
        return Waiting(None, False, False)
    now = now or timezone.now()
    sla = timedelta(hours=settings.KYC_SLA_HOURS)
    waited = now - since
    return Waiting(since, waited > sla, sla * 0.75 < waited <= sla)


def last_identity_change(client_id: int) -> AuditEntry | None:
    """The newest successful portal write that touched identity or document fields."""
    entries = AuditEntry.objects.filter(
        entity_type="client", entity_id=str(client_id), action__in=EDIT_ACTIONS,
        outcome=AuditEntry.Outcome.OK,
    ).order_by("-id").only("id", "actor_id", "actor_username", "created_at", "after", "action")
    for entry in entries.iterator(chunk_size=50):
        if FOUR_EYES & set(entry.after or {}):
            return entry
    return None


def four_eyes_blocks(user, client_id: int) -> AuditEntry | None:
    """The entry that stops `user` approving this client's KYC, or None when they may."""
    return _own_identity_edits(user, [client_id]).get(client_id)


def four_eyes_blocked(user, client_ids) -> set[int]:
    """Which of these clients `user` may not approve (one pass for a page of the queue)."""
    return set(_own_identity_edits(user, client_ids))


def _own_identity_edits(user, client_ids) -> dict[int, AuditEntry]:
    """Per client, the member's newest identity or document edit since the client's last KYC
    decision that OMTrader accepted: edits that succeeded and those whose outcome is unknown
    (they may have been applied upstream). Edits OMTrader refused or never received (outcome
    not applied) do not count, and a later edit by someone else does not lift it."""
    ids = [int(i) for i in client_ids]
    decided = dict(KycReview.objects.filter(client_id__in=ids,
                                            upstream_outcome=KycReview.Outcome.OK)
                   .values("client_id").annotate(last=Max("decided_at"))
                   .values_list("client_id", "last"))
    entries = AuditEntry.objects.filter(
        entity_type="client", entity_id__in=[str(i) for i in ids], action__in=EDIT_ACTIONS,
        outcome__in=(AuditEntry.Outcome.OK, AuditEntry.Outcome.FAILED),
    ).filter(Q(actor_id=user.pk) | Q(actor__isnull=True, actor_username=user.get_username()))
    entries = entries.order_by("-id").only("id", "actor_id", "actor_username", "created_at",
                                          "after", "action", "outcome", "entity_id")
    found: dict[int, AuditEntry] = {}
    for entry in entries.iterator(chunk_size=200):
        client_id = int(entry.entity_id)
        if client_id in found or not FOUR_EYES & set(entry.after or {}):
            continue
        if decided.get(client_id) is None or entry.created_at > decided[client_id]:
            found[client_id] = entry
    return found


def approver_id(omt) -> int | None:
    """The OMTrader user written as approved_by: KYC_APPROVER_ID, else the CRM API account's
    own id, read from the login the service layer already holds."""
    return settings.KYC_APPROVER_ID or omt.own_account_id()
