"""The board page: who may open it, which groups it offers, which socket it opens."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crmportal.staff.roles import SUPERVISOR
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def board_url():
    return reverse("live-show-board")


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_it_sends_anonymous_visitors_to_sign_in(client, board_url):
    response = client.get(board_url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_refuses_roles_without_the_live_board(client, board_url, backoffice, compliance):
    for user in (backoffice, compliance):
        assert signed_in(client, user).get(board_url).status_code == 403
        client.logout()


def test_it_shows_a_supervisor_every_group(client, board_url, supervisor, omtrader):
    response = signed_in(client, supervisor).get(board_url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'ws-connect="/ws/live/"' in body
    assert '<option value="">All groups</option>' in body
    assert 'id="live-risk-all"' in body and 'id="live-exposure-all"' in body
    assert 'id="live-positions"' in body and 'id="live-status"' in body


def test_it_limits_a_group_limited_supervisor_to_their_groups(client, board_url, make_staff,
                                                             omtrader):
    user = make_staff("gina", SUPERVISOR, [6, 7])
    body = signed_in(client, user).get(board_url).content.decode()
    assert "All groups" not in body and '<option value="">All my groups</option>' in body
    assert '<option value="6"' in body and '<option value="7"' in body
    assert '<option value="8"' not in body
    assert 'id="live-risk-g6"' in body and 'id="live-risk-g7"' in body
    assert 'id="live-risk-all"' not in body

    one = client.get(board_url, {"group": 7})
    assert one.status_code == 200
    assert 'ws-connect="/ws/live/?group=7"' in one.content.decode()
    assert client.get(board_url, {"group": 8}).status_code == 404


def test_it_lists_the_board_in_the_navigation_for_supervisors_only(client, supervisor,
                                                                   backoffice, board_url):
    assert f'href="{board_url}"' in signed_in(client, supervisor).get("/").content.decode()
    client.logout()
    assert f'href="{board_url}"' not in signed_in(client, backoffice).get("/").content.decode()


def test_it_tells_a_member_with_no_groups_why_the_board_is_empty(client, board_url, make_staff,
                                                                 omtrader):
    body = signed_in(client, make_staff("nogroups", SUPERVISOR, [])).get(board_url)
    assert body.status_code == 200 and 'id="no-groups"' in body.content.decode()
    assert 'id="live-risk-' not in body.content.decode()


def test_it_heads_the_positions_as_the_client_panel_does(client, board_url, supervisor,
                                                        omtrader):
    from crmportal.live import render

    body = signed_in(client, supervisor).get(board_url).content.decode()
    panel = render.client_panel([], render.Status("live", None, ""))
    head = body[body.index("<thead><tr><th class=\"num\">Position</th>"):]
    head = head[:head.index("</thead>") + len("</thead>")]
    assert "Total P/L" in head and head in panel
