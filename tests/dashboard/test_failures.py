"""One panel whose upstream call fails shows its own error; the others render."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crmportal.dashboard.panels import PANELS
from crmportal.staff.roles import ADMINISTRATOR, SUPERVISOR
from tests.dashboard.conftest import panel_names

MARKET = ("margin-counts", "nearest-margin-call", "exposure", "floating-pl", "large-deals")


def load(client, name: str):
    return client.get(reverse("dashboard-show-panel", args=[name]), HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("role,failing", [(SUPERVISOR, MARKET),
                                          (ADMINISTRATOR, ("supervisor-overview",))])
def test_a_failing_upstream_read_fails_its_panels_only(client, make_staff, knobs, role,
                                                       failing):
    client.force_login(make_staff("member", role))
    names = panel_names(client.get("/").content.decode())
    assert set(failing) < set(names)
    # OMTrader refuses the open positions: the panels built on them fail, each in its own
    # frame (status 200, so htmx swaps it in place of its skeleton, not into #alerts).
    knobs.fault(method="GET", path="/api/v1/manager/positions", status=400, count=len(failing))
    answers = {name: load(client, name) for name in names}
    for name, answer in answers.items():
        assert answer.status_code == 200, name
        html = answer.content.decode()
        assert f'id="panel-{name}"' in html
        failed = 'class="alert alert-error panel-error"' in html
        assert failed == (name in failing), name
    title = PANELS[failing[0]].title
    assert (f"{title} could not be loaded: OMTrader refused it"
            in answers[failing[0]].content.decode())
    # The next load reads again and succeeds (a failure is not kept).
    assert "panel-error" not in load(client, failing[0]).content.decode()


def test_omtrader_down_shows_in_health_and_the_database_panels_still_render(client,
                                                                            administrator,
                                                                            knobs):
    client.force_login(administrator)
    knobs.control(error_rate=1.0, error_status=400)
    health = load(client, "health").content.decode()
    assert 'data-health="omtrader"><span class="badge badge-danger">Not reachable' in health
    recent = load(client, "recent-work").content.decode()
    assert "panel-error" not in recent
    assert "panel-error" in load(client, "floating-pl").content.decode()


def test_a_panel_without_javascript_is_a_page_of_its_own(client, compliance):
    client.force_login(compliance)
    page = client.get(reverse("dashboard-show-panel", args=["kyc-waiting"]))
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html and 'id="panel-kyc-waiting"' in html


def test_a_stale_market_read_is_shown_with_its_time_while_omtrader_is_away(client, supervisor,
                                                                          knobs, settings):
    settings.DASHBOARD_MARKET_MAX_AGE = 0  # every load wants a new read ...
    settings.DASHBOARD_MARKET_STALE_MAX = 60  # ... but may show the last one meanwhile
    client.force_login(supervisor)
    assert "panel-error" not in load(client, "exposure").content.decode()
    knobs.control(error_rate=1.0, error_status=400)
    html = load(client, "exposure").content.decode()
    assert "panel-error" not in html and "As of <time" in html
    settings.DASHBOARD_MARKET_STALE_MAX = 0  # too old to show: the panel says it failed
    assert "panel-error" in load(client, "exposure").content.decode()
