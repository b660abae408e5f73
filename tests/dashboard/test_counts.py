"""For a group-limited member every figure equals the list it links to (the KYC queue, the
client list, OMTrader's own accounts), and nothing of another group is counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from crmportal.staff.roles import BACK_OFFICE, COMPLIANCE, SUPERVISOR
from tests.dashboard.conftest import figure

GROUP = 9  # a group of the seeded simulator with waiting clients


def panel(client, name: str):
    answer = client.get(reverse("dashboard-show-panel", args=[name]), HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    return answer


def queue_rows(client, view: str) -> list:
    rows, page = [], 1
    while True:
        answer = client.get(reverse("kyc-list-queue"), {"view": view, "size": 200, "page": page})
        rows += list(answer.context["page"])
        if not answer.context["page"].has_next():
            return rows
        page += 1


@pytest.mark.parametrize("groups", [[GROUP], None])
def test_kyc_figures_equal_the_queue_s_lists(client, make_staff, seeded, settings, groups):
    waiting = sorted((c for c in seeded if c.kyc_status is None), key=lambda c: c.created_at)
    # An SLA that half the waiting clients have passed, so the figure is not all or nothing.
    middle = waiting[len(waiting) // 2].created_at
    settings.KYC_SLA_HOURS = int((datetime.now(UTC) - middle).total_seconds() / 3600)
    client.force_login(make_staff("limited", COMPLIANCE, groups))
    rows = queue_rows(client, "waiting")
    waiting_html = panel(client, "kyc-waiting").content.decode()
    assert figure(waiting_html, "waiting") == len(rows) > 0
    past = [r for r in rows if r.wait.past_sla]
    assert 0 < len(past) < len(rows)
    assert figure(waiting_html, "past-sla") == len(past)
    assert f'href="{reverse("kyc-review-client", args=[rows[0].id])}"' in waiting_html  # oldest
    expiring = queue_rows(client, "rekyc")
    assert figure(panel(client, "kyc-expiring").content.decode(), "expiring") == len(expiring)
    if groups:
        every = [c for c in seeded if c.kyc_status is None]
        assert len(rows) < len(every)  # the limit cut something


def test_new_clients_without_an_account_count_only_the_member_s_groups(client, make_staff,
                                                                      make_client, writes):
    mine = [make_client(preferred_group=GROUP) for _ in range(2)]
    other = make_client(preferred_group=GROUP + 1)
    client.force_login(make_staff("limited", BACK_OFFICE, [GROUP]))
    html = panel(client, "new-clients").content.decode()
    recent = datetime.now(UTC) - timedelta(days=7)
    listed = client.get(reverse("clients-list-clients"), {"group": GROUP, "size": 200,
                                                          "sort": "-created"}).context["page"]
    expected = [row.id for row in listed if row.created_at >= recent and row.accounts == 0]
    assert figure(html, "new-clients") == len(expected) >= 2
    for created in mine:
        assert f"#{created.id} " in html
    assert f"#{other.id} " not in html


def test_margin_counts_equal_the_member_s_accounts_at_call_and_stop_out(client, make_staff,
                                                                      omt):
    groups = {g.id: g for g in omt.groups_cached()}
    accounts = list(omt.iter_all(omt.list_accounts))
    group_ids = sorted({a.group_id for a in accounts if a.group_id is not None})[:2]
    client.force_login(make_staff("limited", SUPERVISOR, group_ids))
    answer = panel(client, "margin-counts")
    html = answer.content.decode()
    rows = {}
    for kind, key, count in re.findall(r'id="dash-(mc|so)-(g\d+)" class="figure" '
                                       r'data-count="(\d+)"', html):
        rows.setdefault(key, {})["margin_call" if kind == "mc" else "stop_out"] = int(count)
    assert set(rows) == {f"g{g}" for g in group_ids}
    for group_id in group_ids:
        group = groups[group_id]
        call = group.margin_call or Decimal(100)
        stop = group.margin_stop_out or Decimal(0)
        levels = [a.margin_level for a in accounts
                  if a.group_id == group_id and a.margin and a.margin_level is not None]
        assert rows[f"g{group_id}"] == {
            "margin_call": sum(1 for level in levels if stop < level <= call),
            "stop_out": sum(1 for level in levels if level <= stop)}
    assert 'id="dash-mc-total"' in html and 'ws-connect="/ws/live/?view=dashboard"' in html


def test_market_panels_show_only_the_member_s_groups(client, make_staff, omt):
    accounts = list(omt.iter_all(omt.list_accounts))
    group_id = sorted({a.group_id for a in accounts if a.group_id is not None})[0]
    mine = {a.id for a in accounts if a.group_id == group_id}
    client.force_login(make_staff("limited", SUPERVISOR, [group_id]))
    pl = panel(client, "floating-pl").content.decode()
    assert [int(g) for g in re.findall(r'data-group="(\d+)"', pl)] == [group_id]
    nearest = panel(client, "nearest-margin-call").content.decode()
    shown = {int(a) for a in re.findall(r'data-account="(\d+)"', nearest)}
    assert shown and shown <= mine
    deals = panel(client, "large-deals").content.decode()
    assert {int(a) for a in re.findall(r'data-deal-account="(\d+)"', deals)} <= mine
