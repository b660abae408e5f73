"""A chart's table and CSV hold exactly the numbers it draws, counted in the member's scope."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from crmportal.clients.models import ClientIndex, KycReview
from crmportal.dashboard import sampler
from crmportal.dashboard.models import ProfitSample
from crmportal.money.models import MoneyOperation
from crmportal.staff.roles import COMPLIANCE, SUPERVISOR


def table_of(html: str, name: str) -> list[list[str]]:
    body = re.search(rf'<table class="table" data-chart="{name}">.*?<tbody>(.*?)</tbody>', html,
                     re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def chart_html(client, name: str) -> str:
    answer = client.get(reverse("dashboard-show-chart", args=[name]), HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    return answer.content.decode()


def csv_of(client, name: str) -> list[list[str]]:
    answer = client.get(reverse("dashboard-export-chart", args=[name]))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.content.decode())))


def decide(client_id: int, decision: str, days_ago: int) -> None:
    KycReview.objects.create(
        client_id=client_id, decision=decision, reviewer_username="someone",
        decided_at=timezone.now() - timedelta(days=days_ago),
        upstream_outcome=KycReview.Outcome.OK)


def test_kyc_decisions_table_and_csv_equal_the_decisions_in_scope(client, make_staff):
    in_scope = list(ClientIndex.objects.filter(preferred_group=9).order_by("id")[:3])
    outside = ClientIndex.objects.exclude(preferred_group=9).exclude(
        groups__group_id=9).first()
    decide(in_scope[0].id, KycReview.Decision.APPROVED, 0)
    decide(in_scope[1].id, KycReview.Decision.APPROVED, 0)
    decide(in_scope[2].id, KycReview.Decision.REJECTED, 2)
    decide(outside.id, KycReview.Decision.REJECTED, 0)  # another group: not counted
    client.force_login(make_staff("limited", COMPLIANCE, [9]))
    html = chart_html(client, "kyc-decisions")
    rows = table_of(html, "kyc-decisions")
    today = timezone.localdate()
    by_day = {row[0]: row[1:] for row in rows}
    assert len(rows) == 30
    assert by_day[today.isoformat()][:2] == ["2", "0"]
    assert by_day[(today - timedelta(days=2)).isoformat()][:2] == ["0", "1"]
    assert sum(int(row[1]) + int(row[2]) for row in rows) == 3
    waits = sorted((timezone.now() - c.created_at).total_seconds() / 3600 for c in in_scope[:2])
    assert float(by_day[today.isoformat()][2]) == round(sum(waits) / 2, 1)  # the median of two
    exported = csv_of(client, "kyc-decisions")
    assert exported[0] == ["Day", "Approved", "Rejected", "Median hours to decision"]
    assert [r[:3] for r in exported[1:]] == [r[:3] for r in rows]
    # The drawing: one bar per day and drawn series (the median is in the table only).
    chart = re.search(r'id="chart-kyc-decisions".*?</svg>', html, re.S).group(0)
    assert chart.count("<rect ") == 30 * 2


def test_pl_per_group_shows_the_relay_s_samples_of_the_member_s_groups(client, make_staff):
    now = timezone.now().replace(second=0, microsecond=0)
    if timezone.localtime(now).hour == 0 and timezone.localtime(now).minute < 5:
        now += timedelta(minutes=5)  # keep both samples on today
    sampler.record_pl({6: Decimal("-120.50"), 7: Decimal("300")}, now=now - timedelta(minutes=1))
    sampler.record_pl({6: Decimal("-80.25"), 7: None}, now=now)
    client.force_login(make_staff("limited", SUPERVISOR, [6]))
    html = chart_html(client, "pl-per-group")
    rows = table_of(html, "pl-per-group")
    assert [row[1] for row in rows] == ["-120.50", "-80.25"]
    assert all(len(row) == 2 for row in rows)  # group 7 is not the member's
    assert "samples each group" in html  # the chart says where its history comes from
    assert [r[1] for r in csv_of(client, "pl-per-group")[1:]] == ["-120.50", "-80.25"]


def test_samples_past_the_retention_are_dropped(db, settings):
    settings.DASHBOARD_PL_RETENTION_DAYS = 2
    now = timezone.now()
    sampler.record_pl({6: Decimal(1)}, now=now - timedelta(days=3))
    sampler.record_pl({6: Decimal(2)}, now=now)
    assert list(ProfitSample.objects.values_list("profit", flat=True)) == [Decimal("2.00")]


def test_new_clients_per_week_counts_the_member_s_clients(client, make_staff):
    client.force_login(make_staff("bo", "Back office", [9]))
    rows = table_of(chart_html(client, "new-clients"), "new-clients")
    assert len(rows) == 12
    start = timezone.localdate() - timedelta(days=timezone.localdate().weekday(), weeks=11)
    visible = ClientIndex.objects.filter(preferred_group=9) | ClientIndex.objects.filter(
        groups__group_id=9)
    expected = visible.distinct().filter(created_at__date__gte=start).count()
    assert sum(int(row[1]) for row in rows) == expected


def test_a_chart_outside_the_role_is_refused(client, make_staff):
    client.force_login(make_staff("limited", COMPLIANCE, [9]))
    for view in ("dashboard-export-chart", "dashboard-show-chart"):
        assert client.get(reverse(view, args=["pl-per-group"])).status_code == 403


def test_a_chart_without_javascript_is_a_page_of_its_own(client, compliance):
    client.force_login(compliance)
    html = client.get(reverse("dashboard-show-chart", args=["kyc-decisions"])).content.decode()
    assert "<html" in html and "<svg" in html and 'data-chart="kyc-decisions"' in html


def money(state: str, kind: str, amount: str, group_id: int, days_ago: int,
          currency: str = "USD") -> None:
    at = timezone.now() - timedelta(days=days_ago)
    MoneyOperation.objects.create(
        reference=f"CRM-{uuid.uuid4().hex[:8]}", token=uuid.uuid4().hex, account_id=1,
        group_id=group_id, currency=currency, digits=2, type=kind, amount=Decimal(amount),
        state=state, requested_by_username="someone", created_at=at, resolved_at=at)


def test_money_per_day_table_and_csv_equal_the_confirmed_operations_in_scope(client,
                                                                            make_staff):
    State, Type = MoneyOperation.State, MoneyOperation.Type
    money(State.CONFIRMED, Type.DEPOSIT, "100.50", 9, 0)
    money(State.RECONCILED, Type.DEPOSIT, "20", 9, 0)
    money(State.CONFIRMED, Type.WITHDRAWAL, "30", 9, 2)
    money(State.CONFIRMED, Type.DEPOSIT, "7", 9, 2, currency="EUR")
    money(State.CONFIRMED, Type.DEPOSIT, "999", 8, 0)  # another group
    money(State.CONFIRMED, Type.CREDIT_IN, "999", 9, 0)  # credit: not a deposit
    money(State.REQUESTED, Type.DEPOSIT, "999", 9, 0)  # not done
    money(State.UNKNOWN, Type.WITHDRAWAL, "999", 9, 0)  # not known to be done
    money(State.CONFIRMED, Type.DEPOSIT, "999", 9, 31)  # before the 30 days
    client.force_login(make_staff("bo", "Back office", [9]))
    html = chart_html(client, "money-per-day")
    rows = table_of(html, "money-per-day")
    assert len(rows) == 30
    today = timezone.localdate()
    by_day = {row[0]: row[1:] for row in rows}
    # Deposits, Withdrawals (drawn), then amounts per currency: EUR, then USD.
    assert by_day[today.isoformat()] == ["2", "0", "0.00", "120.50", "0.00"]
    assert by_day[(today - timedelta(days=2)).isoformat()] == ["1", "1", "7.00", "0.00", "30.00"]
    assert sum(int(row[1]) + int(row[2]) for row in rows) == 4
    exported = csv_of(client, "money-per-day")
    assert exported[0] == ["Day", "Deposits", "Withdrawals", "Deposits EUR", "Deposits USD",
                           "Withdrawals USD"]
    assert exported[1:] == rows
    chart = re.search(r'id="chart-money-per-day".*?</svg>', html, re.S).group(0)
    assert chart.count("<rect ") == 30 * 2  # deposits and withdrawals per day, drawn
    assert "made through the portal" in html  # the chart says what it counts
