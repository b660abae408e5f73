"""The client 360 page's live panel: /ws/live/?client=ID, scoped to the client's accounts."""

from __future__ import annotations

import asyncio

import pytest
import requests
from channels.db import database_sync_to_async
from django.urls import reverse

from crmportal.live import publish
from crmportal.live.consumers import FORBIDDEN
from crmportal.live.publish import client_audience
from crmportal.live.relay import Relay
from crmportal.staff.models import StaffProfile
from crmportal.staff.roles import BACK_OFFICE, COMPLIANCE
from tests.live.conftest import LiveSocket, StandIn, rows, running, session_cookie, wait_for
from tests.support.staff import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]


def every(simulator, kind: str) -> list[dict]:
    """Every record of one Manager list, read straight from the simulator."""
    token = simulator.login()["access_token"]
    return requests.get(f"{simulator.url}/api/v1/manager/{kind}", params={"page": -1},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=30).json()["data"]["records"]


def trader(simulator) -> tuple[int, set[int], set[int]]:
    """A client with open positions in a single group: (client id, group ids, position ids)."""
    accounts = every(simulator, "accounts")
    positions = every(simulator, "positions")
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


def preferred_group(simulator, client_id: int) -> int | None:
    token = simulator.login()["access_token"]
    return requests.get(f"{simulator.url}/api/v1/manager/clients/{client_id}",
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=30).json()["data"]["preferred_group"]


async def test_it_refuses_a_client_outside_the_member_s_groups(omtrader, layer, make_staff):
    client_id, groups, _ = trader(omtrader)
    preferred = preferred_group(omtrader, client_id)
    other = next(g for g in (4, 5, 6, 7, 8, 9) if g not in groups and g != preferred)
    user = await database_sync_to_async(make_staff)("cora", COMPLIANCE, [other])
    socket = LiveSocket(f"/ws/live/?client={client_id}", await session_cookie(user))
    connected, _ = await socket.connect()
    assert not connected


def clients_and_groups(simulator) -> tuple[list[dict], dict[int, set[int]]]:
    """Every client, and the groups of each client's accounts."""
    accounts = every(simulator, "accounts")
    clients = every(simulator, "clients")
    groups: dict[int, set[int]] = {}
    for account in accounts:
        groups.setdefault(account["client_id"], set()).add(account["group_id"])
    return clients, groups


async def test_it_opens_the_panel_of_a_client_seen_only_through_its_preferred_group(
        omtrader, layer, make_staff):
    clients, groups = clients_and_groups(omtrader)
    client = next(c for c in clients
                  if groups.get(c["id"]) and c["preferred_group"] not in groups[c["id"]])
    user = await database_sync_to_async(make_staff)("bo", BACK_OFFICE, [client["preferred_group"]])
    relay = await StandIn(layer).start()
    socket = LiveSocket(f"/ws/live/?client={client['id']}", await session_cookie(user))
    assert (await socket.connect())[0]
    request = await relay.answer()
    assert request["view"] == {"groups": [], "client": client["id"]}  # no account in scope
    await socket.close()


async def test_it_narrows_the_panel_to_the_accounts_still_in_scope(omtrader, layer, make_staff):
    clients, groups = clients_and_groups(omtrader)
    client = next(c for c in clients if len(groups.get(c["id"], ())) > 1)
    both = sorted(groups[client["id"]])[:2]
    user = await database_sync_to_async(make_staff)("bo", BACK_OFFICE, both)
    relay = await StandIn(layer).start()
    socket = LiveSocket(f"/ws/live/?client={client['id']}", await session_cookie(user))
    assert (await socket.connect())[0]
    assert (await relay.answer())["view"]["groups"] == both

    profile = await database_sync_to_async(StaffProfile.objects.get)(user=user)
    profile.group_ids = both[:1]
    await database_sync_to_async(profile.save)()

    assert (await relay.answer())["view"]["groups"] == both[:1]
    await relay.row(client_audience(client["id"], both[1]), "pos-2", '<tr id="pos-2"></tr>')
    await relay.row(client_audience(client["id"], both[0]), "pos-1", '<tr id="pos-1"></tr>')
    await socket.until(lambda t: 'id="pos-1"' in t, what="a row of the group in scope")
    assert not any('id="pos-2"' in text for text in socket.received)
    await socket.close()


async def test_it_ends_the_panel_when_the_client_leaves_the_scope(omtrader, layer, make_staff):
    clients, groups = clients_and_groups(omtrader)
    client = next(c for c in clients if groups.get(c["id"]))
    touched = groups[client["id"]] | {client["preferred_group"]}
    outside = next(g for g in range(1, 100) if g not in touched)
    user = await database_sync_to_async(make_staff)("bo", BACK_OFFICE, sorted(touched))
    await StandIn(layer).start()
    socket = LiveSocket(f"/ws/live/?client={client['id']}", await session_cookie(user))
    assert (await socket.connect())[0]

    profile = await database_sync_to_async(StaffProfile.objects.get)(user=user)
    profile.group_ids = [outside]
    await database_sync_to_async(profile.save)()

    assert await socket.close_code(timeout=5) == FORBIDDEN


async def test_its_panels_share_one_read_of_the_client_when_they_recheck(omtrader, layer,
                                                                          make_staff):
    clients, groups = clients_and_groups(omtrader)
    client = next(c for c in clients if groups.get(c["id"]))
    user = await database_sync_to_async(make_staff)("bo", BACK_OFFICE)
    relay = await StandIn(layer).start()
    sockets = [LiveSocket(f"/ws/live/?client={client['id']}", await session_cookie(user))
               for _ in range(3)]
    for socket in sockets:
        assert (await socket.connect())[0]
        await relay.answer()
    route = "GET /api/v1/manager/clients/{id}"

    def reads() -> int:
        return omtrader.counters()["requests"].get(route, 0)

    before = reads()
    for _ in range(2):  # two re-checks of the member's three panels: six checks
        await publish.recheck_member(layer, user.pk)
        await wait_for(lambda: reads() > before, what="a re-check reading the client")
        await asyncio.sleep(0.5)
    assert reads() - before == 1
    for socket in sockets:
        await socket.close()
