"""The impact preview's rule on a tree the simulator cannot build (a child group leaving its
margin levels empty, so it takes them from its parent): accounts of groups that inherit the
levels are checked too, those that set their own are not."""

from __future__ import annotations

from decimal import Decimal as D

from crmportal.groups import impact
from crmportal.groups.conditions import inheriting, resolve
from crmportal.omtrader.entities import Group, Position, TradingAccount


def group(gid, parent, call, stop, **more):
    return Group(id=gid, parent_id=parent, root=parent == 0, desc=f"G{gid}",
                 margin_call=None if call is None else D(call),
                 margin_stop_out=None if stop is None else D(stop), **more)


TREE = [group(1, 0, "100", "50"), group(2, 1, None, None), group(3, 1, "120", "60"),
        group(4, 2, None, None)]


def account(aid, gid, level, margin="100"):
    equity = D(level) * D(margin) / 100
    return TradingAccount(id=aid, group_id=gid, equity=equity, margin=D(margin),
                          margin_level=D(level))


def test_groups_below_that_leave_the_levels_empty_inherit_them():
    assert [g.id for g in inheriting(TREE[0], TREE, ["margin_call"])] == [1, 2, 4]
    assert [g.id for g in inheriting(TREE[2], TREE, ["margin_call"])] == [3]
    by_id = {g.id: g for g in TREE}
    call = next(r for r in resolve(TREE[3], by_id) if r.setting.name == "margin_call")
    assert call.inherited and call.source.id == 1 and call.effective == D(100)


def test_the_preview_checks_the_inheriting_groups_with_the_new_levels():
    got = {
        "accounts_1": [], "positions_1": [],
        "accounts_2": [account(21, 2, "70"), account(22, 2, "500")],
        "positions_2": [Position(id=1, account_id=21), Position(id=2, account_id=21)],
        "accounts_4": [account(41, 4, "85"), account(42, 4, "0", margin="0")],
        "positions_4": [Position(id=3, account_id=41), Position(id=4, account_id=99)],
    }
    new = impact.Levels(D(90), D(80))
    old = impact.Levels(D(100), D(50))
    found = impact.preview(got, TREE[0], TREE, new, old)
    assert [g.id for g in found.groups] == [1, 2, 4] and found.accounts == 4
    assert [(a.account.id, a.positions, a.now, a.after) for a in found.affected] == [
        (21, 2, impact.MARGIN_CALL, impact.STOP_OUT),   # 70 < 80
        (41, 1, impact.MARGIN_CALL, impact.MARGIN_CALL),  # 80 <= 85 < 90
    ]  # 22 is healthy; 42 has no margin in use, so it is never stopped out


def test_money_mode_compares_equity_with_the_levels():
    rich, poor = account(1, 3, "500"), account(2, 3, "40")  # equity 500 and 40
    levels = impact.Levels(D(100), D(50), money=True)
    assert impact.state(rich, levels) == impact.HEALTHY
    assert impact.state(poor, levels) == impact.STOP_OUT
    assert impact.levels_of({"margin_mode": 1}, TREE[2]).money
