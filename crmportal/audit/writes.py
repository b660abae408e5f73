"""One upstream write and its audit entry, whatever happens: the shape every area's `do_*`
action uses (clients, accounts, groups), so no write can skip the log or word it differently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from crmportal.audit.log import record
from crmportal.audit.models import AuditEntry
from crmportal.omtrader.errors import Forbidden, NotFound, OMTraderError, Rejected, Unauthorized

MAYBE_APPLIED = "OMTrader did not answer; the change may or may not have been applied."
NOT_APPLIED = "OMTrader could not be reached; the change was not applied."

T = TypeVar("T")


def outcome_of(error: OMTraderError) -> tuple[str, str]:
    """The audit outcome of a failed write: refused when OMTrader answered no (4xx), failed
    when it may have been applied anyway (the outcome is unknown), not applied when the
    request never reached OMTrader or OMTrader said it did not start it."""
    if isinstance(error, (Rejected, Forbidden, Unauthorized, NotFound)):
        return AuditEntry.Outcome.REJECTED, error.message
    if error.maybe_applied:
        return AuditEntry.Outcome.FAILED, f"{MAYBE_APPLIED} ({error.message})"
    return AuditEntry.Outcome.NOT_APPLIED, f"{NOT_APPLIED} ({error.message})"


def audited(action: str, write: Callable[[], T], *, actor, entity_type: str,
            entity_id: Any = "", group_id: int | None = None, before: Any = None,
            after: Any = None, detail: str = "") -> T:
    """Run `write` and record `action`: its outcome and OMTrader's message when it raises
    (then re-raised), else success; a created record names the entry (`entity_id` empty)."""
    entry = {"actor": actor, "entity_type": entity_type, "group_id": group_id,
             "before": before, "after": after}
    try:
        result = write()
    except OMTraderError as error:
        outcome, message = outcome_of(error)
        record(action, entity_id=entity_id, outcome=outcome,
               detail=f"{detail} {message}".strip(), **entry)
        raise
    if entity_id in ("", None):
        entity_id = getattr(result, "id", "")
    record(action, entity_id=entity_id, detail=detail, **entry)
    return result
