"""A live socket follows its member: deactivated, role or scope changed, session gone or idle.

The change itself makes the member's sockets re-check at once (signals); the timer
(LIVE_RECHECK_SECONDS) catches what sends no signal.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from crmportal.live.consumers import FORBIDDEN, SIGNED_OUT
from crmportal.live.publish import group_audience
from crmportal.live.relay import Relay
from crmportal.staff.models import StaffProfile
from crmportal.staff.roles import BACK_OFFICE, SUPERVISOR
from crmportal.staff.sessions import LAST_SEEN
from tests.live.conftest import LiveSocket, StandIn, profits, rows, running, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_embedded_relay")]

User = get_user_model()


def board(groups) -> str:
    """A snapshot's positions body with one row per group (ids 60, 70, ...)."""
    rows = "".join(f'<tr id="pos-{g}0" data-group="{g}">group {g}</tr>' for g in groups)
    return f'<tbody id="live-positions">{rows}</tbody>'


async def connected(layer, user, path: str = "/ws/live/", html: str = "",
                    cookie: str = "") -> tuple:
    relay = await StandIn(layer).start()
    socket = LiveSocket(path, cookie or await session_cookie(user))
    assert (await socket.connect())[0]
    request = await relay.answer(html or board([]))
    await socket.until(lambda t: 'id="live-positions"' in t, what="the snapshot")
    return socket, relay, request


async def test_it_closes_the_sockets_of_a_member_deactivated_at_once(layer, supervisor):
    socket, _, _ = await connected(layer, supervisor)  # the timer is 30 s away

    supervisor.is_active = False
    await database_sync_to_async(supervisor.save)()

    assert await socket.close_code(timeout=3) == SIGNED_OUT
    assert "Signed out" in socket.received[-1]


async def test_it_closes_a_socket_within_the_recheck_when_no_signal_came(layer, supervisor,
                                                                         settings):
    settings.LIVE_RECHECK_SECONDS = 1.0
    socket, _, _ = await connected(layer, supervisor)

    await database_sync_to_async(User.objects.filter(pk=supervisor.pk).update)(is_active=False)

    assert await socket.close_code(timeout=4) == SIGNED_OUT


async def test_it_closes_a_socket_whose_session_was_deleted(layer, supervisor, settings):
    settings.LIVE_RECHECK_SECONDS = 1.0
    socket, _, _ = await connected(layer, supervisor)

    await database_sync_to_async(Session.objects.all().delete)()  # "sign out everywhere"

    assert await socket.close_code(timeout=4) == SIGNED_OUT


async def test_it_closes_a_socket_whose_session_expired(layer, supervisor, settings):
    settings.LIVE_RECHECK_SECONDS = 1.0
    socket, _, _ = await connected(layer, supervisor)

    await database_sync_to_async(Session.objects.all().update)(
        expire_date=timezone.now() - timedelta(seconds=1))  # SESSION_COOKIE_AGE is over

    assert await socket.close_code(timeout=4) == SIGNED_OUT


@database_sync_to_async
def last_request_long_ago(idle_timeout: int) -> None:
    """The one session's idle clock set to just past the idle timeout."""
    session = SessionStore(Session.objects.get().session_key)
    session[LAST_SEEN] = int(time.time()) - idle_timeout - 5
    session.save()


async def test_it_closes_a_socket_whose_session_went_idle(layer, supervisor, settings):
    settings.LIVE_RECHECK_SECONDS = 1.0
    socket, _, _ = await connected(layer, supervisor)

    await last_request_long_ago(settings.SESSION_IDLE_TIMEOUT)

    assert await socket.close_code(timeout=4) == SIGNED_OUT


async def test_it_refuses_a_socket_of_an_idle_session(layer, supervisor, settings):
    cookie = await session_cookie(supervisor)

    await last_request_long_ago(settings.SESSION_IDLE_TIMEOUT)
    connected_, _ = await LiveSocket("/ws/live/", cookie).connect()
    assert not connected_


async def test_it_ends_the_board_of_a_member_whose_new_role_lacks_it(layer, supervisor):
    socket, _, _ = await connected(layer, supervisor)

    await database_sync_to_async(
        lambda: supervisor.groups.set([Group.objects.get(name=BACK_OFFICE)]))()

    assert await socket.close_code(timeout=3) == FORBIDDEN
    assert "Access ended" in socket.received[-1]


async def test_it_narrows_the_board_when_the_scope_narrows(layer, make_staff):
    user = await database_sync_to_async(make_staff)("gina", SUPERVISOR, [6, 7])
    socket, relay, request = await connected(layer, user, html=board([6, 7]))
    assert request["view"]["groups"] == [6, 7]

    profile = await database_sync_to_async(StaffProfile.objects.get)(user=user)
    profile.group_ids = [6]
    await database_sync_to_async(profile.save)()

    request = await relay.answer(board([6]))
    assert request["view"]["groups"] == [6]
    gone = await socket.until(lambda t: "live-risk-g7" in t, what="group 7's panels removed")
    assert 'hx-swap-oob="delete"' in gone and "live-risk-g6" not in gone
    snapshot = await socket.until(lambda t: 'id="live-positions"' in t, what="a new snapshot")
    assert "group 6" in snapshot and "group 7" not in snapshot

    await relay.row(group_audience(7), "pos-71", '<tr id="pos-71">group 7</tr>')
    await relay.row(group_audience(6), "pos-61", '<tr id="pos-61">group 6</tr>')
    assert await socket.receive() == '<tr id="pos-61">group 6</tr>'  # open, group 7 left
    assert await socket.nothing_for(0.3)
    await socket.close()


async def test_it_widens_the_board_when_the_scope_widens(layer, make_staff):
    user = await database_sync_to_async(make_staff)("gina", SUPERVISOR, [6])
    socket, relay, _ = await connected(layer, user, html=board([6]))

    profile = await database_sync_to_async(StaffProfile.objects.get)(user=user)
    profile.group_ids = [6, 7]
    await database_sync_to_async(profile.save)()

    request = await relay.answer(board([6, 7]))
    assert request["view"]["groups"] == [6, 7]
    snapshot = await socket.until(lambda t: 'id="live-positions"' in t, what="a new snapshot")
    assert "group 7" in snapshot
    await relay.row(group_audience(7), "pos-71", '<tr id="pos-71">group 7</tr>')
    assert await socket.receive() == '<tr id="pos-71">group 7</tr>'
    await socket.close()


async def test_it_ends_a_one_group_board_when_that_group_leaves_the_scope(layer, make_staff):
    user = await database_sync_to_async(make_staff)("gina", SUPERVISOR, [6, 7])
    socket, _, _ = await connected(layer, user, "/ws/live/?group=7")

    profile = await database_sync_to_async(StaffProfile.objects.get)(user=user)
    profile.group_ids = [6]
    await database_sync_to_async(profile.save)()

    assert await socket.close_code(timeout=3) == FORBIDDEN


async def test_it_takes_the_rows_of_a_group_out_of_scope_off_a_live_board(omtrader, layer,
                                                                          make_staff):
    omtrader.control(market_paused=True)
    user = await database_sync_to_async(make_staff)("gina", SUPERVISOR)  # every group
    async with running(Relay(layer=layer)):
        socket = LiveSocket("/ws/live/", await session_cookie(user))
        assert (await socket.connect())[0]
        first = await socket.until(lambda t: '<tbody id="live-positions">' in t and rows(t),
                                   timeout=20, what="a snapshot with rows")
        groups = {group for _, group in rows(first).values()}
        assert len(groups) > 1
        kept = min(groups)
        others = {pid for pid, (_, group) in rows(first).items() if group != kept}

        profile = await database_sync_to_async(StaffProfile.objects.get)(user=user)
        profile.all_groups, profile.group_ids = False, [int(kept)]
        await database_sync_to_async(profile.save)()

        # A snapshot of the wide view may still be on its way (CI): the narrow one follows.
        fresh = await socket.until(
            lambda t: '<tbody id="live-positions">' in t
            and {group for _, group in rows(t).values()} == {kept},
            what="the snapshot of the narrower view")
        assert rows(fresh)
        assert 'id="live-risk-all" hx-swap-oob="delete"' in "".join(socket.received)
        omtrader.control(market_paused=False)
        since = len(socket.received)
        end = time.monotonic() + 1.5  # a few market steps
        while time.monotonic() < end:
            if not await socket.nothing_for(0.05):
                await socket.receive()
        later = "".join(socket.received[since:])
        assert profits(later), "no updates reached the socket"
        assert not set(profits(later)) & others
        await socket.close()


@database_sync_to_async
def pass_the_second_factor(user, cookie: str) -> None:
    """What /login/verify/ leaves in the session: the member's confirmed device."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    session = SessionStore(cookie.split("=", 1)[1])
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


async def test_it_refuses_a_socket_before_the_session_passed_the_second_factor(layer,
                                                                                supervisor,
                                                                                settings):
    settings.OTP_REQUIRED_ROLES = "all"
    cookie = await session_cookie(supervisor)  # signed in with the password only
    assert not (await LiveSocket("/ws/live/", cookie).connect())[0]

    await pass_the_second_factor(supervisor, cookie)
    socket, _, _ = await connected(layer, supervisor, cookie=cookie)
    await socket.close()


async def test_it_ends_a_socket_when_the_members_second_factor_is_reset(layer, supervisor,
                                                                         administrator,
                                                                         settings):
    from crmportal.staff.actions import do_reset_second_factor

    settings.OTP_REQUIRED_ROLES = "all"
    settings.LIVE_RECHECK_SECONDS = 1.0
    cookie = await session_cookie(supervisor)
    await pass_the_second_factor(supervisor, cookie)
    socket, _, _ = await connected(layer, supervisor, cookie=cookie)

    await database_sync_to_async(do_reset_second_factor)(supervisor, actor=administrator)

    assert await socket.close_code(timeout=4) == SIGNED_OUT
