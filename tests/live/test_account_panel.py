"""The account page's live money: /ws/live/?account=ID, the account's group in scope; the
relay pushes accounts/account_detail.html#account-summary for each new account summary."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from crmportal.live.consumers import FORBIDDEN
from crmportal.live.relay import Relay
from crmportal.staff.models import StaffProfile
from crmportal.staff.roles import BACK_OFFICE, SUPERVISOR
from tests.live.conftest import LiveSocket, StandIn, running, session_cookie
from tests.live.test_client_panel import every

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]


def busy_account(simulator) -> dict:
    """An account with an open position (its money moves with the market)."""
    positions = every(simulator, "positions")
    accounts = {a["id"]: a for a in every(simulator, "accounts")}
    return accounts[positions[0]["account_id"]]


async def test_it_pushes_the_account_s_money_as_the_market_moves(omtrader, layer, make_staff):
    omtrader.control(market_paused=True)
    account = busy_account(omtrader)
    user = await database_sync_to_async(make_staff)("sv", SUPERVISOR, [account["group_id"]])
    relay = Relay(layer=layer)
    async with running(relay):
        socket = LiveSocket(f"/ws/live/?account={account['id']}", await session_cookie(user))
        assert (await socket.connect())[0]
        marker = f'id="account-summary-{account["id"]}"'
        await socket.until(lambda t: marker in t, timeout=20, what="the snapshot")
        seen = len(socket.received)
        omtrader.step(5)
        pushed = await socket.until(lambda t: marker in t, timeout=20, what="a push")
        assert len(socket.received) > seen
        assert 'id="account-equity"' in pushed and "stop-out" in pushed
        assert relay.stats()["watching"]["accounts"] == 1
        await socket.close()


async def test_it_refuses_an_account_outside_the_member_s_groups(omtrader, layer, make_staff):
    account = busy_account(omtrader)
    other = next(g for g in (4, 5, 6, 7, 8, 9) if g != account["group_id"])
    user = await database_sync_to_async(make_staff)("bo", BACK_OFFICE, [other])
    socket = LiveSocket(f"/ws/live/?account={account['id']}", await session_cookie(user))
    connected, _ = await socket.connect()
    assert not connected
    missing = LiveSocket("/ws/live/?account=999999", await session_cookie(user))
    assert not (await missing.connect())[0]


async def test_it_ends_when_the_account_s_group_leaves_the_scope(omtrader, layer, make_staff):
    account = busy_account(omtrader)
    other = next(g for g in (4, 5, 6, 7, 8, 9) if g != account["group_id"])
    user = await database_sync_to_async(make_staff)("bo", BACK_OFFICE, [account["group_id"]])
    relay = await StandIn(layer).start()
    socket = LiveSocket(f"/ws/live/?account={account['id']}", await session_cookie(user))
    assert (await socket.connect())[0]
    request = await relay.answer()
    assert request["view"] == {"groups": [account["group_id"]], "client": None,
                               "account": account["id"]}
    profile = await database_sync_to_async(StaffProfile.objects.get)(user=user)
    profile.group_ids = [other]
    await database_sync_to_async(profile.save)()
    assert await socket.close_code(timeout=5) == FORBIDDEN


def test_only_the_watched_account_s_summary_is_parsed_and_a_bad_one_is_skipped():
    from crmportal.live.state import BoardState
    from crmportal.omtrader.stream import AccountSummaryEvent

    state = BoardState()
    state.apply(AccountSummaryEvent({"id": 1, "group_id": 6, "balance": 12.5,
                                     "currency_digits": 2}))
    state.apply(AccountSummaryEvent({"id": 2, "group_id": 6, "balance": "not money"}))
    state.apply(AccountSummaryEvent({"id": 3, "group_id": 6, "balance": 7}))
    assert str(state.settle_account(1).balance) == "12.50"
    assert state.settle_account(2) is None and state.bad_payloads == 1
    assert 3 in state.unsettled  # nobody asked for it: still waiting, unparsed
