"""The one function every write made through the portal goes through: record()."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from crmportal.audit.models import AuditChainHead, AuditEntry
from crmportal.requestid import current_client_address, current_request_id

GENESIS = "0" * 64
HASHED_FIELDS = (
    "created_at",
    "actor_username",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "outcome",
    "detail",
    "request_id",
    "ip_address",
    "prev_hash",
)


def _plain(value: Any) -> Any:
    """JSON-safe copy of before/after values (Decimals and dates become strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (Decimal, datetime, date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def entry_hash(entry: AuditEntry) -> str:
    content = {name: getattr(entry, name) for name in HASHED_FIELDS}
    if entry.group_id is not None:  # hashed when set; entries written before it keep theirs
        content["group_id"] = entry.group_id
    content["created_at"] = entry.created_at.isoformat()
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "")[:45] if request is not None else ""


def record(
    action: str,
    *,
    actor=None,
    entity_type: str = "",
    entity_id: Any = "",
    group_id: int | None = None,
    before: Any = None,
    after: Any = None,
    outcome: str = AuditEntry.Outcome.OK,
    detail: str = "",
    request=None,
    actor_username: str = "",
    ip_address: str = "",
) -> AuditEntry:
    """Append one entry to the hash chain. `request` fills actor, ip and request id; without
    one (actions, which take the acting member) the request id and client address come from
    the context RequestIdMiddleware set (`ip_address` names it outside a request: sockets,
    summaries)."""
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    entry = AuditEntry(
        created_at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_username=(actor.get_username() if actor is not None else actor_username)[:150],
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id if entity_id is not None else ""),
        group_id=group_id,
        before=_plain(before),
        after=_plain(after),
        outcome=str(outcome),
        detail=detail[:2000],
        request_id=getattr(request, "request_id", "") or current_request_id(),
        ip_address=(client_ip(request) or ip_address or current_client_address())[:45],
    )
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        entry.prev_hash = head.last_hash
        entry.hash = entry_hash(entry)
        entry.save()
        head.last_hash = entry.hash
        head.save(update_fields=["last_hash"])
    return entry


def first_broken_entry() -> tuple[AuditEntry, str] | None:
    """Walk the chain oldest first; return the first entry that does not verify, and why."""
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != previous:
            return entry, "its previous-hash does not match the row before it"
        if entry_hash(entry) != entry.hash:
            return entry, "its content does not match its hash"
        previous = entry.hash
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.last_hash != previous:
        last = AuditEntry.objects.order_by("-id").first()
        if last is not None:
            return last, "rows after it were removed (the chain head does not match)"
    return None
