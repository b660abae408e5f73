"""How an audit entry reads on a page: a label for its action, its change field by field
("Mobile: +49 … → +44 …"), and a link to what it is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from crmportal.clients.fields import FIELDS

ACTIONS = {
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.login_failed": "Sign-in failed",
    "auth.locked_out": "Sign-in locked out",
    "auth.idle_timeout": "Signed out after inactivity",
    "auth.second_factor": "Second factor checked",
    "auth.step_up": "Identity confirmed again",
    "access.denied": "Access refused",
    "live.refused": "Live socket refused",
    "client.create": "Client created",
    "client.update": "Client changed",
    "client.delete": "Client deleted",
    "client.export": "Clients exported",
    "trading.export": "Trading list exported",
    "trading.statement_export": "Account statement exported",
    "kyc.approve": "KYC approved",
    "kyc.reject": "KYC rejected",
    "group.update": "Group changed",
    "commission.create": "Commission created",
    "commission.update": "Commission changed",
    "commission.delete": "Commission deleted",
    "group_symbol.update": "Group symbol changed",
    "account.create": "Account opened",
    "account.update": "Account changed",
    "account.password_reset": "Account password reset",
    "account.delete": "Account deleted",
    "account.export": "Accounts exported",
    "money.requested": "Money operation requested",
    "money.approved": "Money operation approved",
    "money.rejected": "Money operation rejected",
    "money.expired": "Money operation expired",
    "money.sent": "Money operation sent",
    "money.resent": "Money operation sent again",
    "money.confirmed": "Money operation confirmed",
    "money.unknown": "Money operation outcome unknown",
    "money.refused": "Money operation refused by OMTrader",
    "money.not_sent": "Money operation not sent",
    "money.reconciled": "Money operation reconciled",
    "money.refuse": "Money operation refused",
    "money.approve": "Money approval refused",
    "money.reject": "Money rejection refused",
    "money.export": "Money movements exported",
    "staff.create": "Staff member created",
    "staff.update": "Staff member changed",
    "staff.deactivate": "Staff member deactivated",
    "staff.password_change": "Password changed",
    "staff.second_factor_enrol": "Second factor set up",
    "staff.second_factor_reset": "Second factor reset",
}
ENTITY_PAGES = {"client": "clients-show-client", "account": "accounts-show-account",
                "group": "groups-show-group"}
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def action_label(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action]
    area, _, verb = action.partition(".")
    return f"{area.capitalize()}: {verb.replace('_', ' ')}" if verb else area.capitalize()


def changes(before: Any, after: Any) -> list[Change]:
    """One row per field either side names, in the order they were written."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    names = [*before, *(name for name in after if name not in before)]
    return [Change(_label(name), _text(before.get(name, None), name in before),
                   _text(after.get(name, None), name in after)) for name in names]


def entity_url(entity_type: str, entity_id: str) -> str:
    name = ENTITY_PAGES.get(entity_type)
    if not name or not entity_id.isdigit():
        return ""
    try:
        return reverse(name, args=[int(entity_id)])
    except NoReverseMatch:
        return ""


def decorate(entries) -> None:
    """Give each entry of a page what the entry partial shows."""
    for entry in entries:
        entry.action_label = action_label(entry.action)
        entry.changes = changes(entry.before, entry.after)
        entry.entity_url = entity_url(entry.entity_type, entry.entity_id)


def _label(name: str) -> str:
    field = FIELDS.get(name)
    return field.label if field else name.replace("_", " ").capitalize()


def _text(value: Any, present: bool) -> str:
    if not present or value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value) or EMPTY
    if isinstance(value, dict):
        return ", ".join(f"{_label(k)}: {_text(v, True)}" for k, v in value.items()) or EMPTY
    return str(value)
