"""Writes of the groups area: a group's settings, commissions, group symbols. Each calls the
service layer (which drops the cached groups / symbols it changes) and records the audit
entry with before and after, refusals and failures included."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from crmportal.audit.log import record
from crmportal.audit.writes import audited, outcome_of
from crmportal.groups.forms import initial_of
from crmportal.groups.tree import forget_figures
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.concurrent import gather_each
from crmportal.omtrader.entities import Commission, Group, GroupSymbol
from crmportal.omtrader.errors import OMTraderError


def _audited(action: str, entity_type: str, entity_id: Any, write: Callable[[], Any],
             **entry) -> Any:
    return audited(action, write, entity_type=entity_type, entity_id=entity_id, **entry)


def do_update_group(group: Group, changes: dict[str, Any], *, actor, detail: str = "") -> Group:
    """`detail` carries what the impact preview showed the member when they confirmed."""
    current = initial_of(group)
    before = {name: current.get(name) for name in changes}
    omt = get_omtrader()
    try:
        return _audited("group.update", "group", group.id,
                        lambda: omt.update_group(group.id, changes),
                        actor=actor, group_id=group.id, before=before, after=changes,
                        detail=detail)
    finally:
        forget_figures(omt)  # new levels may have stopped accounts out


def commission_values(commission: Commission) -> dict[str, Any]:
    values = {name: getattr(commission, name) for name in (
        "name", "desc", "symbol_class_id", "mode", "mode_range", "mode_charge", "mode_entry",
        "mode_action", "mode_profit", "mode_reason")}
    values["tiers"] = [{name: getattr(t, name) for name in (
        "type", "value", "range_from", "range_to", "min", "max", "currency", "mode")}
        for t in commission.tiers]
    return values


def do_create_commission(group: Group, values: dict[str, Any], *, actor) -> Commission:
    values = {"group_id": group.id, **values}
    return _audited("commission.create", "commission", "",
                    lambda: get_omtrader().create_commission(values),
                    actor=actor, group_id=group.id, after=values, detail=f"group {group.id}")


def do_update_commission(commission: Commission, values: dict[str, Any], *,
                         actor) -> Commission:
    return _audited("commission.update", "commission", commission.id,
                    lambda: get_omtrader().update_commission(commission.id, values),
                    actor=actor, group_id=commission.group_id,
                    before=commission_values(commission), after=values,
                    detail=f"group {commission.group_id}")


def do_delete_commission(commission: Commission, *, actor) -> None:
    _audited("commission.delete", "commission", commission.id,
             lambda: get_omtrader().delete_commission(commission.id),
             actor=actor, group_id=commission.group_id, before=commission_values(commission),
             detail=f"group {commission.group_id}")


def do_update_group_symbol(row: GroupSymbol, changes: dict[str, Any], *, actor) -> GroupSymbol:
    before = {name: getattr(row, name) for name in changes}
    if "trade_level" in before and before["trade_level"] is not None:
        before["trade_level"] = before["trade_level"].code
    return _audited("group_symbol.update", "group_symbol", row.id,
                    lambda: get_omtrader().update_group_symbol(row.id, changes),
                    actor=actor, group_id=row.group_id, before=before, after=changes,
                    detail=f"group {row.group_id}, {row.symbol}")


def do_set_enabled(rows: Sequence[GroupSymbol], enabled: bool, *,
                   actor) -> tuple[list[GroupSymbol], list[tuple[GroupSymbol, OMTraderError]]]:
    """Enable or disable several group symbols: the writes go out together (one per row, the
    API has no bulk call), then one audit entry each; rows already in that state are left
    alone. Returns what was changed and what failed."""
    todo = [row for row in rows if row.enabled != enabled]
    omt = get_omtrader()

    def write(row: GroupSymbol) -> GroupSymbol | OMTraderError:
        try:
            return omt.update_group_symbol(row.id, {"enabled": enabled})
        except OMTraderError as error:
            return error

    done, failed = [], []
    for row, result in zip(todo, gather_each(write, todo), strict=True):
        after = {"enabled": enabled}
        detail = f"group {row.group_id}, {row.symbol} (bulk)"
        if isinstance(result, OMTraderError):
            outcome, message = outcome_of(result)
            record("group_symbol.update", actor=actor, entity_type="group_symbol",
                   entity_id=row.id, group_id=row.group_id, before={"enabled": row.enabled},
                   after=after,
                   outcome=outcome, detail=f"{detail} {message}")
            failed.append((row, result))
        else:
            record("group_symbol.update", actor=actor, entity_type="group_symbol",
                   entity_id=row.id, group_id=row.group_id, before={"enabled": row.enabled},
                   after=after,
                   detail=detail)
            done.append(result)
    return done, failed
