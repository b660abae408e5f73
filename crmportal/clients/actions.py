"""Writes of the clients area. Each calls the service layer, keeps the client index in step
and records the audit entry (refused and failed attempts too), so no view can skip them.
Each takes the acting member (`actor=`), never the request: the request id and the client
address reach the audit log from the context RequestIdMiddleware sets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.audit.writes import audited, outcome_of
from crmportal.clients import index, kyc
from crmportal.clients.fields import redact
from crmportal.clients.forms import initial_of
from crmportal.clients.models import KycReview
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import Client
from crmportal.omtrader.errors import OMTraderError


class FourEyesRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def do_create_client(values: dict[str, Any], *, actor) -> Client:
    client = audited("client.create", lambda: get_omtrader().create_client(values),
                     actor=actor, entity_type="client", after=redact(values))
    index.store(client)
    return client


def do_update_client(client: Client, changes: dict[str, Any], *, actor) -> Client:
    current = initial_of(client, may_see_sensitive=True)
    before = redact({name: current.get(name) for name in changes})
    updated = audited("client.update", lambda: get_omtrader().update_client(client.id, changes),
                      actor=actor, entity_type="client", entity_id=client.id, before=before,
                      after=redact(changes))
    index.store(updated)
    return updated


def do_delete_client(client: Client, *, actor) -> None:
    before = redact(index.record_of(client))
    audited("client.delete", lambda: get_omtrader().delete_client(client.id), actor=actor,
            entity_type="client", entity_id=client.id, before=before)
    index.forget(client.id)


def do_decide_kyc(client: Client, decision: str, reason_code: str = "", note: str = "", *,
                  actor) -> KycReview:
    """Approve or reject: written upstream (kyc_status, approved_by, approval_date), kept
    here with the reviewer and reason. Approval obeys four eyes (kyc.four_eyes_blocks)."""
    action = f"kyc.{'approve' if decision == KycReview.Decision.APPROVED else 'reject'}"
    if decision == KycReview.Decision.APPROVED:
        blocker = kyc.four_eyes_blocks(actor, client.id)
        if blocker is not None:
            message = (f"Four eyes: you changed the identity or documents of client "
                       f"#{client.id} {client.name} (audit entry {blocker.id}), so another "
                       f"reviewer must approve them.")
            record(action, actor=actor, entity_type="client", entity_id=client.id,
                   outcome=AuditEntry.Outcome.DENIED, detail=message)
            raise FourEyesRefused(message)
    omt = get_omtrader()
    code = kyc.code_for(decision)
    approved = decision == KycReview.Decision.APPROVED
    changes = {
        "kyc_status": code,
        "approved_by": kyc.approver_id(omt) if approved else None,
        "approval_date": timezone.now().date() if approved else None,
    }
    before = {"kyc_status": client.kyc_status, "approved_by": client.approved_by,
              "approval_date": client.approval_date}
    reason = dict(settings.KYC_REJECTION_REASONS).get(reason_code, reason_code)
    detail = "; ".join(part for part in (
        f"Reason: {reason}" if reason_code else "", note.strip()) if part)
    review = KycReview(
        client_id=client.id, decision=decision, reason_code=reason_code, reason_text=note.strip(),
        reviewer=actor, reviewer_username=actor.get_username(),
        decided_at=timezone.now(), kyc_status_before=client.kyc_status, kyc_status_written=code,
    )
    try:
        updated = omt.update_client(client.id, changes)
    except OMTraderError as error:
        outcome, message = outcome_of(error)
        review.upstream_outcome, review.upstream_message = outcome, message
        review.save()
        record(action, actor=actor, entity_type="client", entity_id=client.id,
               before=before, after=changes, outcome=outcome, detail=f"{detail} {message}".strip())
        raise
    with transaction.atomic():
        review.upstream_outcome = KycReview.Outcome.OK
        review.save()
        index.store(updated)
    record(action, actor=actor, entity_type="client", entity_id=client.id, before=before,
           after=changes, detail=detail)
    return review
