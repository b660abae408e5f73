"""What new margin-call / stop-out levels would do right now: the accounts of the group (and of
the groups below it that inherit its levels) that would be at margin call or stopped out.

OMTrader applies a group change at once and re-checks the group's accounts against it, so this
is the same test it runs: an account with margin in use whose margin level (equity / margin ×
100) is below the stop-out level is stopped out, below the margin-call level it is at margin
call. With margin mode "money" the levels are amounts and equity is compared with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from crmportal.groups.conditions import LEVELS, inheriting
from crmportal.omtrader.entities import Group, TradingAccount

HEALTHY, MARGIN_CALL, STOP_OUT = "healthy", "margin call", "stop out"


@dataclass(frozen=True)
class Levels:
    margin_call: Decimal
    stop_out: Decimal
    money: bool = False  # margin mode 1: levels are amounts of the account currency


@dataclass(frozen=True)
class Affected:
    account: TradingAccount
    group: Group
    positions: int
    now: str
    after: str


@dataclass(frozen=True)
class Preview:
    groups: list[Group]
    affected: list[Affected]  # every account that would be at margin call or stop out
    accounts: int  # accounts checked

    @property
    def stop_outs(self) -> list[Affected]:
        return [a for a in self.affected if a.after == STOP_OUT]

    @property
    def margin_calls(self) -> list[Affected]:
        return [a for a in self.affected if a.after == MARGIN_CALL]


def state(account: TradingAccount, levels: Levels) -> str:
    if not account.margin:
        return HEALTHY  # nothing in use: OMTrader never stops such an account out
    if levels.money:
        measure = account.equity or Decimal(0)
    else:
        measure = _level(account)
    if measure < levels.stop_out:
        return STOP_OUT
    if measure < levels.margin_call:
        return MARGIN_CALL
    return HEALTHY


def _level(account: TradingAccount) -> Decimal:
    if account.margin_level is not None:
        return account.margin_level
    return ((account.equity or Decimal(0)) / account.margin * 100).quantize(Decimal("0.01"))


def levels_of(values: dict, fallback: Group) -> Levels:
    def pick(name):
        value = values.get(name)
        return getattr(fallback, name) if value is None else value

    mode = pick("margin_mode")
    code = getattr(mode, "code", mode)
    return Levels(Decimal(str(pick("margin_call") or 0)),
                  Decimal(str(pick("margin_stop_out") or 0)), money=code == 1)


def reads(omt, group: Group, groups: Sequence[Group]) -> dict:
    """The calls a preview needs (accounts and open positions of the group and of the groups
    inheriting its levels), for the caller to run together with its own."""
    calls = {}
    for affected in inheriting(group, groups, LEVELS):
        calls[f"accounts_{affected.id}"] = _accounts_of(omt, affected.id)
        calls[f"positions_{affected.id}"] = _positions_of(omt, affected.id)
    return calls


def preview(got: dict, group: Group, groups: Sequence[Group], new: Levels,
            old: Levels) -> Preview:
    """Who would be at margin call or stop out under `new`, from the answers to reads()."""
    affected_groups = inheriting(group, groups, LEVELS)
    ids = [g.id for g in affected_groups]
    accounts = [a for gid in ids for a in got[f"accounts_{gid}"] if a.group_id == gid]
    account_ids = {a.id for a in accounts}
    open_count: dict[int, int] = {}
    for gid in ids:
        for position in got[f"positions_{gid}"]:
            if position.account_id in account_ids:
                open_count[position.account_id] = open_count.get(position.account_id, 0) + 1
    by_id = {g.id: g for g in affected_groups}
    rows = []
    for account in accounts:
        after = state(account, new)
        if after != HEALTHY:
            rows.append(Affected(account, by_id[account.group_id],
                                 open_count.get(account.id, 0), state(account, old), after))
    rows.sort(key=lambda a: (a.after != STOP_OUT, _level(a.account)))
    return Preview(affected_groups, rows, len(accounts))


def _accounts_of(omt, group_id: int):
    return lambda: list(omt.iter_all(omt.list_accounts, group_id=group_id))


def _positions_of(omt, group_id: int):
    # group_id is a filter the upstream may ignore: positions are matched to the group's
    # accounts by account id afterwards, so the count is right either way.
    return lambda: list(omt.iter_all(omt.list_positions, group_id=group_id))
