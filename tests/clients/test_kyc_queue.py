from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from crmportal.staff.roles import COMPLIANCE

URL = reverse("kyc-list-queue")


def rows_on(response, view="waiting") -> list[int]:
    assert response.context["view"] == view
    return [row.id for row in response.context["page"]]


def in_group(customer, group_id: int) -> bool:
    return customer.preferred_group == group_id or any(
        a.group_id == group_id for a in customer.accounts)


@pytest.mark.parametrize("role,status", [("compliance", 200), ("administrator", 200),
                                         ("backoffice", 403), ("supervisor", 403),
                                         ("roleless", 403)])
def test_it_is_open_to_roles_that_review_kyc(as_user, client, role, status):
    as_user(role)
    assert client.get(URL).status_code == status


def test_it_sends_anonymous_users_to_sign_in(client):
    assert client.get(URL).status_code == 302


def test_it_lists_clients_waiting_oldest_first(as_user, client, seeded):
    as_user("compliance")
    waiting = sorted((c for c in seeded if c.kyc_status is None), key=lambda c: c.created_at)
    response = client.get(URL, {"size": 200})
    assert rows_on(response) == [c.id for c in waiting][:200]
    assert f"Waiting for a decision <span class=\"badge\">{len(waiting)}</span>" in (
        response.content.decode())


def test_it_highlights_clients_past_or_near_the_sla(as_user, client, seeded, settings):
    as_user("compliance")
    waiting = sorted((c for c in seeded if c.kyc_status is None), key=lambda c: c.created_at)
    newest = waiting[-1]
    waited = (datetime.now(UTC) - newest.created_at).total_seconds() / 3600
    settings.KYC_SLA_HOURS = int(waited / 0.9)
    body = client.get(URL, {"size": 200}).content.decode()
    assert f'<tr id="kyc-row-{waiting[0].id}" class="row-danger">' in body
    assert f'<tr id="kyc-row-{newest.id}" class="row-warn">' in body
    assert "past SLA" in body and "SLA soon" in body


def test_it_lists_expired_and_expiring_documents_for_re_kyc(as_user, client, seeded):
    as_user("compliance")
    horizon = date.today() + timedelta(days=30)
    due = sorted((c for c in seeded if c.expiry_date and c.expiry_date <= horizon),
                 key=lambda c: (c.expiry_date, c.id))
    response = client.get(URL, {"view": "rekyc", "size": 200})
    assert rows_on(response, "rekyc") == [c.id for c in due][:200]
    body = response.content.decode()
    assert "expired" in body and "expires in" in body


def test_it_shows_only_clients_in_the_members_groups(client, make_staff, seeded):
    client.force_login(make_staff("limited", COMPLIANCE, [9]))
    expected = [c.id for c in sorted(seeded, key=lambda c: c.created_at)
                if c.kyc_status is None and in_group(c, 9)]
    assert rows_on(client.get(URL, {"size": 200})) == expected


def test_it_answers_htmx_with_the_list_only(as_user, client):
    as_user("compliance")
    body = client.get(URL, {"view": "rekyc"}, headers={"HX-Request": "true"}).content.decode()
    assert body.lstrip().startswith('<section id="kyc-table"') and "<html" not in body


@pytest.mark.parametrize("query,notice", [
    ({"view": "bogus"}, "There is no list “bogus”"),
    ({"page": "-1"}, "Page “-1” does not exist"),
    ({"size": "0"}, "Page size “0” is not offered"),
])
def test_it_corrects_nonsense_in_the_address(as_user, client, query, notice):
    as_user("compliance")
    response = client.get(URL, query)
    assert response.status_code == 200 and notice in response.content.decode()


def test_it_reads_the_prose_codes_when_told_to(as_user, client, seeded, settings):
    settings.KYC_STATUS_CODES = "prose"
    as_user("compliance")
    waiting = [c.id for c in sorted(seeded, key=lambda c: c.created_at)
               if c.kyc_status in (None, 0)]
    assert rows_on(client.get(URL, {"size": 200})) == waiting[:200]
