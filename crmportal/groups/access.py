"""The groups area's one scope decision: which groups, commissions, symbols and group symbols a
member may see (a group in their scope; out of scope is a 404 exactly like a missing id) and
change (`manage_groups` and the group in scope)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.concurrent import gather, gather_each
from crmportal.omtrader.entities import Commission, Group, GroupSymbol, Symbol
from crmportal.staff.scope import group_scope, may_see_group

READ = "staff.view_trading"
MANAGE = "staff.manage_groups"
NO_GROUP = "OMTrader has no group with this id."
NO_COMMISSION = "This group has no commission with this id."
NO_SYMBOL = "OMTrader has no symbol with this id."
NO_ROW = "This group does not offer that symbol."


def may_manage(user, group_id: int) -> bool:
    return user.has_perm(MANAGE) and may_see_group(user, group_id)


def visible_groups(user) -> list[Group]:
    scope = group_scope(user)
    return [g for g in get_omtrader().groups_cached() if g.id in scope]


def group_for(user, group_id: int, *, write: bool = False) -> tuple[Group, list[Group]]:
    """The group (from the cached reference data) and every group (for inheritance)."""
    groups = get_omtrader().groups_cached()
    group = next((g for g in groups if g.id == group_id), None)
    if group is None or not may_see_group(user, group_id):
        raise Http404(NO_GROUP)
    if write and not user.has_perm(MANAGE):
        raise PermissionDenied("Changing groups needs the manage groups permission.")
    return group, groups


def commission_in(commissions: list[Commission], commission_id: int) -> Commission:
    found = next((c for c in commissions if c.id == commission_id), None)
    if found is None:
        raise Http404(NO_COMMISSION)
    return found


def row_in(rows: list[GroupSymbol], row_id: int) -> GroupSymbol:
    found = next((r for r in rows if r.id == row_id), None)
    if found is None:
        raise Http404(NO_ROW)
    return found


def visible_symbol_ids(user) -> set[int] | None:
    """Symbols a member limited to groups may see: those their groups offer (None: every
    symbol, for members who see every group)."""
    scope = group_scope(user)
    if scope.all:
        return None
    omt = get_omtrader()
    groups = [g.id for g in omt.groups_cached() if g.id in scope]
    offered = gather_each(omt.list_group_symbols, groups)
    return {row.symbol_id for rows in offered for row in rows}


def symbol_for(user, symbol_id: int) -> tuple[Symbol, list[tuple[Group, GroupSymbol]]]:
    """The symbol and what each group of the member's scope makes of it, read together; a
    member limited to groups sees only symbols one of them offers."""
    omt = get_omtrader()
    groups = visible_groups(user)
    got = gather(symbol=lambda: omt.get_symbol(symbol_id),
                 offered=lambda: gather_each(omt.list_group_symbols, [g.id for g in groups]))
    offers = [(g, row) for g, rows in zip(groups, got["offered"], strict=True) for row in rows
              if row.symbol_id == symbol_id]
    if not group_scope(user).all and not offers:
        raise Http404(NO_SYMBOL)
    return got["symbol"], offers
