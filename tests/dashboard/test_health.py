"""The administrator's health panel: OMTrader, the relay, the client index's last full sync,
the audit chain's last verification and the staff without a second factor."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from crmportal.dashboard import sampler
from crmportal.live.render import Status
from crmportal.staff.roles import COMPLIANCE


def health(client) -> str:
    answer = client.get(reverse("dashboard-show-panel", args=["health"]), HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    return answer.content.decode()


def test_it_says_when_the_audit_chain_was_last_verified(client, administrator):
    client.force_login(administrator)
    assert "Never verified" in health(client)
    call_command("verify_audit", stdout=io.StringIO())
    html = health(client)
    assert '<span class="badge badge-ok">Verified</span>' in html
    assert "Audit chain intact" in html


def test_it_shows_the_relay_live_stale_or_silent(client, administrator, settings):
    client.force_login(administrator)
    assert "Not heard from" in health(client)
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    sampler.note_relay(Status("live", since))
    assert '<span class="badge badge-ok">Live</span> since' in health(client)
    sampler.note_relay(Status("stale", since, "reconcile failed"))
    html = health(client)
    assert '<span class="badge badge-warn">Stale</span> since' in html
    assert "reconcile failed" in html
    noted = sampler.relay_status()
    assert noted is not None and not noted["silent"]
    old = {**noted, "at": noted["at"] - timedelta(seconds=sampler.RELAY_SILENT + 1)}
    cache.set(sampler.RELAY_KEY, old, None)
    assert '<span class="badge badge-danger">Silent</span>' in health(client)


def test_it_counts_active_staff_without_a_second_factor(client, administrator, make_staff):
    cora = make_staff("cora", COMPLIANCE)
    make_staff("bo", "Back office")
    TOTPDevice.objects.create(user=cora, name="phone", confirmed=True)
    client.force_login(administrator)
    html = health(client)
    assert '<a class="figure" href="/staff/">2</a> active members without one' in html
    named = html.split("without one")[1]
    assert "ada" in named and "bo" in named and "cora" not in named


def test_omtrader_s_answer_is_shared_for_seconds_then_asked_again(client, administrator,
                                                                   knobs, settings):
    """The page load does not wait a round trip for it: one answer serves the process for
    DASHBOARD_MARKET_MAX_AGE seconds, and says when it was asked."""
    client.force_login(administrator)
    settings.DASHBOARD_MARKET_MAX_AGE = 60
    first = health(client)
    assert '<span class="badge badge-ok">Reachable</span>' in first and "asked <time" in first
    knobs.control(error_rate=1.0, error_status=400)
    assert '<span class="badge badge-ok">Reachable</span>' in health(client)  # the shared one
    settings.DASHBOARD_MARKET_MAX_AGE = 0
    settings.DASHBOARD_MARKET_STALE_MAX = 0
    assert '<span class="badge badge-danger">Not reachable</span>' in health(client)
