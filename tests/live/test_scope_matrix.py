"""The group-scope rule over the live sockets, for each role limited to one group, against a
client wholly inside the group, one straddling it and one wholly outside (the pages' side of
the matrix is tests/clients/test_scope_matrix.py)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE, COMPLIANCE, SUPERVISOR
from tests.live.conftest import LiveSocket, StandIn, session_cookie
from tests.live.test_client_panel import clients_and_groups

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]

GROUP = 6
ROLES = {"backoffice": BACK_OFFICE, "compliance": COMPLIANCE, "supervisor": SUPERVISOR,
         "administrator": ADMINISTRATOR}
BOARD = {"supervisor", "administrator"}


def _cases(simulator) -> dict[str, int]:
    clients, groups = clients_and_groups(simulator)

    def touches(c) -> set[int]:
        return groups.get(c["id"], set()) | ({c["preferred_group"]} - {None})

    def first(test) -> int:
        return next(c["id"] for c in sorted(clients, key=lambda c: c["id"])
                    if groups.get(c["id"]) and test(c))

    return {"inside": first(lambda c: touches(c) == {GROUP}),
            "straddling": first(lambda c: GROUP in groups[c["id"]] and len(groups[c["id"]]) > 1),
            "outside": first(lambda c: GROUP not in touches(c))}


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_it_scopes_every_socket_of_a_member_limited_to_one_group(omtrader, layer,
                                                                        make_staff, role):
    cases = _cases(omtrader)
    user = await database_sync_to_async(make_staff)(f"limited-{role}", ROLES[role], [GROUP])
    cookie = await session_cookie(user)
    relay = await StandIn(layer).start()
    for kind in ("inside", "straddling"):
        socket = LiveSocket(f"/ws/live/?client={cases[kind]}", cookie)
        assert (await socket.connect())[0], kind
        request = await relay.answer()
        assert request["view"] == {"groups": [GROUP], "client": cases[kind]}, kind
        await socket.close()
    outside = LiveSocket(f"/ws/live/?client={cases['outside']}", cookie)
    assert not (await outside.connect())[0]

    board = LiveSocket("/ws/live/", cookie)
    assert (await board.connect())[0] is (role in BOARD)
    if role in BOARD:
        request = await relay.answer()
        assert request["view"] == {"groups": [GROUP], "client": None}
        await board.close()
    other_group = LiveSocket("/ws/live/?group=7", cookie)
    assert not (await other_group.connect())[0]
