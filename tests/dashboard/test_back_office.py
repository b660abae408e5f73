"""The back office's figures (money waiting for approval, money with an unknown outcome, new
clients without an account, accounts opened today), the KYC rejections and the margin-call
counts: for a group-limited member each figure equals the list its link opens, and nothing of
another group is counted."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from crmportal.clients.models import ClientIndex, KycReview
from crmportal.money.models import MoneyOperation
from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE, COMPLIANCE, SUPERVISOR
from tests.accounts.conftest import built_accounts  # noqa: F401 - the account index fixture
from tests.dashboard.conftest import figure, toward_margin_call
from tests.live.test_relay import rest

GROUP, OTHER = 9, 8
State, Type = MoneyOperation.State, MoneyOperation.Type

pytestmark = pytest.mark.usefixtures("writes", "built_accounts")


@pytest.fixture(autouse=True)
def fresh_accounts(settings):
    settings.ACCOUNT_INDEX_MAX_AGE = 0  # the account list and the panel check every time


def panel_html(client, name: str) -> str:
    answer = client.get(reverse("dashboard-show-panel", args=[name]), HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    return answer.content.decode()


def link_of(html: str, name: str) -> str:
    found = re.search(rf'href="([^"]+)" data-figure="{name}"', html)
    assert found, f"no link on the figure {name}"
    return unescape(found.group(1))


def listed(client, url: str) -> int:
    """How many rows the list behind a link holds (every page)."""
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.context["page"].paginator.count


def operation(state: str, group_id: int, kind: str = Type.DEPOSIT, amount: str = "100",
              **fields) -> MoneyOperation:
    now = timezone.now()
    return MoneyOperation.objects.create(
        reference=f"CRM-{uuid.uuid4().hex[:8]}", token=uuid.uuid4().hex, account_id=1,
        group_id=group_id, currency="USD", digits=2, type=kind, amount=Decimal(amount),
        state=state, requested_by_username="someone", created_at=now, **fields)


def test_money_requests_equal_the_approval_queue(client, make_staff):
    old = operation(State.REQUESTED, GROUP, expires_at=timezone.now() + timedelta(hours=1))
    MoneyOperation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    operation(State.REQUESTED, GROUP)
    operation(State.REQUESTED, GROUP, expires_at=timezone.now() - timedelta(minutes=1))  # lapsed
    operation(State.REQUESTED, OTHER)
    operation(State.CONFIRMED, GROUP)
    client.force_login(make_staff("limited", BACK_OFFICE, [GROUP]))
    html = panel_html(client, "money-requests")
    assert link_of(html, "money-requests") == reverse("money-list-requests")
    assert figure(html, "money-requests") == 2 == listed(client, reverse("money-list-requests"))
    assert old.reference in html  # the oldest, linked
    assert reverse("money-show-operation", args=[old.reference]) in html


def test_money_with_an_unknown_outcome_equals_the_reconciliation_list(client, make_staff):
    operation(State.UNKNOWN, GROUP)
    operation(State.SENT, GROUP)
    operation(State.UNKNOWN, OTHER)
    operation(State.RECONCILED, GROUP)
    client.force_login(make_staff("limited", BACK_OFFICE, [GROUP]))
    html = panel_html(client, "money-unknown")
    url = link_of(html, "money-unknown")
    assert url == reverse("money-list-unknown")
    assert figure(html, "money-unknown") == 2 == len(client.get(url).context["open"])


def test_new_clients_without_an_account_equal_the_client_list_behind_the_link(
        client, make_staff, make_client, omt):
    mine = make_client(preferred_group=GROUP)
    with_account = make_client(preferred_group=GROUP)
    omt.create_account({"client_id": with_account.id, "group_id": GROUP})
    other = make_client(preferred_group=OTHER)
    client.force_login(make_staff("limited", BACK_OFFICE, [GROUP]))
    html = panel_html(client, "new-clients")
    url = link_of(html, "new-clients")
    assert "registered=7" in url and "accounts=none" in url
    assert figure(html, "new-clients") == listed(client, url) >= 1
    rows = client.get(url + "&size=200").context["page"]
    shown = {row.id for row in rows}
    assert mine.id in shown and other.id not in shown and with_account.id not in shown


def test_accounts_opened_today_equal_the_account_list_behind_the_link(client, make_staff,
                                                                      make_client, omt):
    owner = make_client(preferred_group=GROUP)
    today = [omt.create_account({"client_id": owner.id, "group_id": GROUP}) for _ in range(2)]
    outside = omt.create_account({"client_id": make_client().id, "group_id": OTHER})
    client.force_login(make_staff("limited", BACK_OFFICE, [GROUP]))
    html = panel_html(client, "accounts-opened")
    url = link_of(html, "accounts-opened")
    assert url == reverse("accounts-list-accounts") + "?opened=today"
    assert figure(html, "accounts-opened") == listed(client, url) >= 2
    for account in today:
        assert reverse("accounts-show-account", args=[account.id]) in html
    assert reverse("accounts-show-account", args=[outside.id]) not in html
    # Every group's member counts the other account too.
    client.force_login(make_staff("everyone", BACK_OFFICE))
    assert figure(panel_html(client, "accounts-opened"), "accounts-opened") >= 3


def test_kyc_rejections_equal_the_client_list_of_recent_rejections(client, make_staff):
    mine = list(ClientIndex.objects.filter(preferred_group=GROUP).order_by("id")[:2])
    outside = ClientIndex.objects.exclude(preferred_group=GROUP).exclude(
        groups__group_id=GROUP).first()
    for row, reason, days in ((mine[0], "document_unreadable", 1), (mine[0], "other", 2),
                              (mine[1], "other", 40), (outside, "other", 1)):
        KycReview.objects.create(client_id=row.id, decision=KycReview.Decision.REJECTED,
                                 reason_code=reason, reviewer_username="someone",
                                 decided_at=timezone.now() - timedelta(days=days),
                                 upstream_outcome=KycReview.Outcome.OK)
    client.force_login(make_staff("limited", COMPLIANCE, [GROUP]))
    html = panel_html(client, "kyc-rejections")
    url = link_of(html, "rejections")
    assert "rejected=30" in url
    # One client, rejected twice within 30 days; the 40-day-old one and another group's: no.
    assert figure(html, "rejections") == listed(client, url) == 1
    by_reason = re.findall(r'<a href="([^"]+)" data-reason-figure>(\d+)<', html)
    assert len(by_reason) == 2  # the client counts under each of its two reasons
    for href, count in by_reason:
        assert "reason=" in href and int(count) == listed(client, unescape(href)) == 1


def test_the_margin_call_counts_link_to_the_account_list_of_the_same_accounts(
        client, make_staff, upstream):
    upstream.control(market_paused=True)
    try:
        symbol, step = toward_margin_call(upstream)
        for _ in range(40):  # small steps until some account is at margin call
            upstream.shock(symbol, step)
            at_call = {a["group_id"] for a in rest(upstream, "accounts")
                       if a["liqudation_status"] == 1}
            if at_call:
                break
        assert at_call, "no account reached its margin call"
        group = min(at_call)
        client.force_login(make_staff("limited", SUPERVISOR, [group, GROUP if group != GROUP
                                                               else OTHER]))
        html = panel_html(client, "margin-counts")
        found = re.search(rf'id="dash-mc-g{group}" class="figure" data-count="(\d+)" '
                          r'href="([^"]+)"', html)
        count, url = int(found.group(1)), unescape(found.group(2))
        assert url == reverse("accounts-list-accounts") + f"?group={group}&liquidation=1"
        assert count == listed(client, url) >= 1
        stop = re.search(rf'id="dash-so-g{group}" class="figure" data-count="(\d+)" '
                         r'href="([^"]+)"', html)
        assert int(stop.group(1)) == listed(client, unescape(stop.group(2)))
    finally:
        upstream.control(market_paused=False)


@pytest.mark.parametrize("role,sees", [(BACK_OFFICE, True), (ADMINISTRATOR, True),
                                       (COMPLIANCE, False), (SUPERVISOR, False)])
def test_who_may_load_the_money_panels_and_chart(client, make_staff, role, sees):
    client.force_login(make_staff("member", role))
    for name in ("money-requests", "money-unknown", "accounts-opened"):
        answer = client.get(reverse("dashboard-show-panel", args=[name]), HTTP_HX_REQUEST="true")
        assert answer.status_code == (200 if sees else 403), name
    answer = client.get(reverse("dashboard-show-chart", args=["money-per-day"]))
    assert answer.status_code == (200 if sees else 403)


def test_the_administrator_s_compact_back_office_holds_every_figure(client, make_staff):
    operation(State.REQUESTED, GROUP)
    operation(State.UNKNOWN, OTHER)
    client.force_login(make_staff("admin", ADMINISTRATOR))
    html = panel_html(client, "back-office-overview")
    assert figure(html, "money-requests") == listed(client, link_of(html, "money-requests"))
    assert figure(html, "money-unknown") == 1
    assert figure(html, "new-clients") == listed(client, link_of(html, "new-clients"))
    assert figure(html, "accounts-opened") == listed(client, link_of(html, "accounts-opened"))
