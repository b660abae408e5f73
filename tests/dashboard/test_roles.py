"""Each role sees its own panels and charts, and no others; a panel it may not see is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE, COMPLIANCE, SUPERVISOR
from tests.dashboard.conftest import panel_names

COMPLIANCE_PANELS = ["kyc-waiting", "kyc-expiring", "kyc-rejections", "four-eyes"]
BACK_OFFICE_PANELS = ["new-clients", "accounts-opened", "money-requests", "money-unknown"]
SUPERVISOR_PANELS = ["margin-counts", "nearest-margin-call", "exposure", "floating-pl",
                     "large-deals"]
EXPECTED = {
    BACK_OFFICE: (BACK_OFFICE_PANELS + ["recent-work"], ["new-clients", "money-per-day"]),
    COMPLIANCE: (COMPLIANCE_PANELS + ["recent-work"], ["kyc-decisions"]),
    SUPERVISOR: (["recent-work"] + SUPERVISOR_PANELS, ["pl-per-group"]),
    # Every area in compact form (one panel each), plus the integration's health.
    ADMINISTRATOR: (["compliance-overview", "back-office-overview", "recent-work",
                     "supervisor-overview", "health"],
                    ["new-clients", "kyc-decisions", "money-per-day", "pl-per-group"]),
}
# The panels a role may not load: another area's (its permission is missing).
REFUSED = {
    BACK_OFFICE: COMPLIANCE_PANELS + SUPERVISOR_PANELS
    + ["compliance-overview", "supervisor-overview", "health"],
    COMPLIANCE: BACK_OFFICE_PANELS + SUPERVISOR_PANELS
    + ["back-office-overview", "supervisor-overview", "health"],
    SUPERVISOR: COMPLIANCE_PANELS + BACK_OFFICE_PANELS
    + ["compliance-overview", "back-office-overview", "health"],
    ADMINISTRATOR: [],
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_its_panels_and_charts_and_no_others(client, make_staff, role):
    client.force_login(make_staff("member", role))
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    panels, charts = EXPECTED[role]
    assert sorted(panel_names(html)) == sorted(panels)
    shown = [c.name for c in page.context["charts"]]
    assert sorted(shown) == sorted(charts)
    for name in charts:
        assert f'id="chart-{name}"' in html


@pytest.mark.parametrize("role", list(EXPECTED))
def test_a_panel_outside_the_role_is_refused_and_its_own_load(client, make_staff, role):
    client.force_login(make_staff("member", role))
    panels, _ = EXPECTED[role]
    for name in REFUSED[role]:
        answer = client.get(reverse("dashboard-show-panel", args=[name]), HTTP_HX_REQUEST="true")
        assert answer.status_code == 403, name
    name = panels[0]
    answer = client.get(reverse("dashboard-show-panel", args=[name]), HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert f'id="panel-{name}"' in answer.content.decode()


def test_a_member_without_a_role_gets_the_recent_work_only(client, roleless):
    client.force_login(roleless)
    html = client.get("/").content.decode()
    assert panel_names(html) == ["recent-work"]


def test_the_page_renders_without_asking_omtrader(client, administrator, knobs):
    """The page itself is database only: with OMTrader failing every call it still renders,
    every panel as a skeleton that loads by itself."""
    knobs.control(error_rate=1.0)
    client.force_login(administrator)
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    panels, charts = EXPECTED[ADMINISTRATOR]
    assert html.count('hx-trigger="load"') == len(panels) + len(charts)
    assert 'aria-busy="true"' in html


def test_an_unknown_panel_or_chart_is_not_found(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("dashboard-show-panel", args=["nope"])).status_code == 404
    assert client.get(reverse("dashboard-export-chart", args=["nope"])).status_code == 404
