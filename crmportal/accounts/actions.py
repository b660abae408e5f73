"""Writes of the accounts area. Each calls the service layer, keeps the account index in step
and records the audit entry (refused and failed attempts too) with before/after; passwords
never reach the log (`redact`). Each takes the acting member (`actor=`), never the request."""

from __future__ import annotations

from typing import Any

from crmportal.accounts import index
from crmportal.accounts.forms import PASSWORDS, SECRET, initial_of
from crmportal.audit.writes import audited
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import TradingAccount


def redact(values: dict[str, Any]) -> dict[str, Any]:
    return {name: SECRET if name in PASSWORDS and value else value
            for name, value in values.items()}


def _audited(action: str, call, **entry):
    return audited(action, call, entity_type="account", **entry)


def do_create_account(client_id: int, values: dict[str, Any], *, actor) -> TradingAccount:
    values = {**values, "client_id": client_id}
    account = _audited("account.create", lambda: get_omtrader().create_account(values),
                       actor=actor, group_id=values.get("group_id"), after=redact(values),
                       detail=f"for client #{client_id}")
    index.store(account)
    return account


def do_update_account(account: TradingAccount, changes: dict[str, Any], *,
                      actor) -> TradingAccount:
    current = initial_of(account)
    before = {name: current.get(name) for name in changes if name not in PASSWORDS}
    updated = _audited("account.update",
                       lambda: get_omtrader().update_account(account.id, changes),
                       actor=actor, group_id=account.group_id, entity_id=account.id,
                       before=before, after=redact(changes))
    index.store(updated)
    return updated


def do_reset_password(account: TradingAccount, which: str, password: str, *,
                      actor) -> TradingAccount:
    if which not in PASSWORDS:
        raise ValueError(f"unknown password {which!r}")
    label = "main" if which == "user_password" else "investor"
    return _audited("account.password_reset",
                    lambda: get_omtrader().update_account(account.id, {which: password}),
                    actor=actor, group_id=account.group_id, entity_id=account.id,
                    after={which: SECRET},
                    detail=f"The {label} password was reset.")


def do_delete_account(account: TradingAccount, *, actor) -> None:
    before = {"client_id": account.client_id, "group_id": account.group_id,
              "username": account.username, "currency": account.currency,
              "balance": account.balance, "credit": account.credit}
    _audited("account.delete", lambda: get_omtrader().delete_account(account.id),
             actor=actor, group_id=account.group_id, entity_id=account.id, before=before)
    index.forget(account.id)
