"""Signing out ends the member's live sockets at once, in every tab, with "Signed out"."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from crmportal.live.consumers import SIGNED_OUT
from tests.live.conftest import LiveSocket, StandIn, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]


async def test_it_closes_every_socket_of_a_member_at_once_when_they_sign_out(
        layer, supervisor, administrator):
    browser = Client()
    await sync_to_async(browser.force_login)(supervisor)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    await StandIn(layer).start()
    tabs = [LiveSocket("/ws/live/", cookie), LiveSocket("/ws/live/?group=6", cookie)]
    for tab in tabs:
        assert (await tab.connect())[0]
        assert 'data-state="connecting"' in await tab.receive()
    someone_else = LiveSocket("/ws/live/", await session_cookie(administrator))
    assert (await someone_else.connect())[0]
    await someone_else.receive()

    response = await sync_to_async(browser.post)(reverse("logout"))
    assert response.status_code == 302

    for tab in tabs:
        assert await tab.close_code(timeout=2) == SIGNED_OUT  # the htmx ws ext. stays away
        assert 'data-state="ended"' in tab.received[-1]
        assert "Signed out" in tab.received[-1]
    assert await someone_else.nothing_for(0.3)  # still open, nothing said
    await someone_else.close()

