"""The client 360 page's live panel: /ws/live/?client=ID, scoped to the client's accounts."""

from __future__ import annotations

import pytest
import requests
from channels.db import database_sync_to_async
from django.urls import reverse

from crmportal.live.relay import Relay
from crmportal.staff.roles import BACK_OFFICE, COMPLIANCE
from tests.live.conftest import LiveSocket, rows, running, session_cookie
from tests.support.staff import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]


def trader(simulator) -> tuple[int, set[int], set[int]]:
    """A client with open positions in a single group: (client id, group ids, position ids)."""
    token = simulator.login()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    base = simulator.url + "/api/v1/manager/"
    accounts = requests.get(base + "accounts", params={"page": -1}, headers=headers,
                            timeout=30).json()["data"]["records"]
    positions = requests.get(base + "positions", params={"page": -1}, headers=headers,
                             timeout=30).json()["data"]["records"]
    of_account = {a["id"]: a for a in accounts}
    by_client: dict[int, tuple[set[int], set[int]]] = {}
    for position in positions:
        account = of_account[position["account_id"]]
        groups, ids = by_client.setdefault(account["client_id"], (set(), set()))
        ids.add(position["id"])
    for account in accounts:
        if account["client_id"] in by_client:
            by_client[account["client_id"]][0].add(account["group_id"])
    client_id = next(c for c, (groups, ids) in by_client.items() if len(groups) == 1)
    return client_id, *by_client[client_id]


def test_it_opens_the_panel_socket_on_the_client_page(client, omtrader, make_staff):
    client_id, _, _ = trader(omtrader)
    make_staff("bo", BACK_OFFICE)
    assert client.login(username="bo", password=PASSWORD)
    body = client.get(reverse("clients-show-client", args=[client_id])).content.decode()
    assert f'ws-connect="/ws/live/?client={client_id}"' in body
    assert 'id="client-positions"' in body  # what the live panel replaces once connected


async def test_it_shows_back_office_only_that_client_s_positions(omtrader, layer, make_staff):
    omtrader.control(market_paused=True)
    client_id, _, position_ids = trader(omtrader)
    user = await database_sync_to_async(make_staff)("bo", BACK_OFFICE)
    async with running(Relay(layer=layer)):
        socket = LiveSocket(f"/ws/live/?client={client_id}", await session_cookie(user))
        assert (await socket.connect())[0]
        panel = await socket.until(lambda t: 'id="client-positions"' in t and rows(t),
                                   timeout=20, what="the client's live panel")
        assert set(rows(panel)) == position_ids
        await socket.close()


async def test_it_refuses_a_client_outside_the_member_s_groups(omtrader, layer, make_staff):
    client_id, groups, _ = trader(omtrader)
    other = next(g for g in (4, 5, 6, 7, 8, 9) if g not in groups)
    user = await database_sync_to_async(make_staff)("cora", COMPLIANCE, [other])
    socket = LiveSocket(f"/ws/live/?client={client_id}", await session_cookie(user))
    connected, _ = await socket.connect()
    assert not connected
