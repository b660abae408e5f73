"""The account list and its export: scope, filters, sorting, bad query strings, CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from crmportal.accounts.models import AccountIndex
from crmportal.audit.models import AuditEntry
from crmportal.staff.roles import BACK_OFFICE, COMPLIANCE, SUPERVISOR
from tests.accounts.conftest import GROUP

LIST = reverse("accounts-list-accounts")
EXPORT = reverse("accounts-export-accounts")


def _ids(response) -> list[int]:
    return [row.id for row in response.context["page"]]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_member_without_a_role_is_refused(client, roleless):
    client.force_login(roleless)
    assert client.get(LIST).status_code == 403


@pytest.mark.parametrize("role", [BACK_OFFICE, COMPLIANCE, SUPERVISOR])
def test_a_limited_member_sees_only_accounts_of_their_groups(client, make_staff, role, cases):
    client.force_login(make_staff("limited", role, [GROUP]))
    response = client.get(LIST, {"size": 200})
    assert response.status_code == 200
    ids = _ids(response)
    assert cases["inside"].id in ids and cases["outside"].id not in ids
    expected = AccountIndex.objects.filter(group_id=GROUP).count()
    assert response.context["page"].paginator.count == expected
    # Searching for the outside account by its number finds nothing.
    assert _ids(client.get(LIST, {"q": str(cases["outside"].id)})) == []


def test_a_member_with_no_groups_sees_nothing(client, make_staff):
    client.force_login(make_staff("nobody", BACK_OFFICE, []))
    assert client.get(LIST).context["page"].paginator.count == 0


def test_search_finds_by_number_username_and_client(client, administrator, cases):
    client.force_login(administrator)
    account = cases["inside"]
    assert account.id in _ids(client.get(LIST, {"q": str(account.id)}))
    assert account.id in _ids(client.get(LIST, {"q": str(account.client_id), "size": 200}))
    if account.user and account.user.email:
        assert account.id in _ids(client.get(LIST, {"q": account.user.email.upper()}))


def test_filters_answer_from_the_index(client, administrator):
    client.force_login(administrator)
    rows = AccountIndex.objects
    checks = [
        ({"group": GROUP}, rows.filter(group_id=GROUP)),
        ({"currency": "EUR"}, rows.filter(currency="EUR")),
        ({"trade_type": 1}, rows.filter(trade_type=1)),
        ({"liquidation": 0}, rows.filter(liquidation_status=0)),
        ({"positions": "yes"}, rows.filter(margin__gt=0)),
        ({"positions": "no"}, rows.exclude(margin__gt=0)),
        ({"level_below": "100000"}, rows.filter(margin__gt=0, margin_level__lt=100000)),
        ({"balance_min": "1000", "balance_max": "50000"},
         rows.filter(balance__gte=1000, balance__lte=50000)),
    ]
    for query, expected in checks:
        response = client.get(LIST, {**query, "size": 200})
        assert response.status_code == 200
        assert response.context["page"].paginator.count == expected.count(), query
        assert response.context["page"].paginator.count > 0, query


def test_sorting_by_balance_descending(client, administrator):
    client.force_login(administrator)
    response = client.get(LIST, {"sort": "-balance", "size": 25})
    balances = [row.balance for row in response.context["page"]]
    assert balances == sorted(balances, reverse=True)
    assert balances[0] == max(AccountIndex.objects.values_list("balance", flat=True))


def test_bad_query_strings_are_corrected_with_a_notice(client, administrator):
    client.force_login(administrator)
    for query in ({"sort": "nonsense"}, {"level_below": "abc"}, {"balance_min": "1e309"},
                  {"trade_type": "9"}, {"page": "-4"}, {"size": "7"}, {"group": "x"},
                  {"balance_max": "NaN"}, {"opened": "yesterday"}):
        response = client.get(LIST, query)
        assert response.status_code == 200, query
        assert response.context["notices"], query


def test_htmx_gets_the_table_and_a_corrected_address(client, administrator):
    client.force_login(administrator)
    response = client.get(LIST, {"sort": "nonsense", "group": GROUP}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="account-table"')
    assert response["HX-Replace-Url"] == f"{LIST}?group={GROUP}"


def test_an_account_changed_upstream_shows_at_the_next_list(client, administrator, omt,
                                                            writes, cases):
    client.force_login(administrator)
    account = cases["inside"]
    omt.transfer_money(account.id, "deposit", "12345.67", "index check")
    response = client.get(LIST, {"q": str(account.id)})
    row = response.context["page"][0]
    assert row.balance == omt.get_account(account.id).balance


def test_export_streams_the_filtered_list_safely_and_is_audited(client, administrator, settings):
    client.force_login(administrator)
    settings.ACCOUNT_INDEX_MAX_AGE = 3600
    cache.add("accounts:index:checked", 1, 3600)  # checked just now: the rows below stay
    AccountIndex.objects.filter(group_id=GROUP).order_by("id").update(username="=HYPERLINK(1)")
    response = client.get(EXPORT, {"group": GROUP})
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    expected = AccountIndex.objects.filter(group_id=GROUP).count()
    assert len(rows) == expected + 1
    assert all(row[1] == "'=HYPERLINK(1)" for row in rows[1:])
    entry = AuditEntry.objects.filter(action="account.export").latest("id")
    assert entry.after == {"rows": expected}


def test_export_needs_its_own_permission(client, supervisor, backoffice, make_staff):
    client.force_login(supervisor)
    assert client.get(EXPORT).status_code == 403
    client.force_login(make_staff("limited-export", BACK_OFFICE, [GROUP]))
    text = b"".join(client.get(EXPORT).streaming_content).decode("utf-8-sig")
    groups = {row[6] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert groups == {"Live Standard"}


def test_money_columns_keep_the_currency_digits(client, administrator):
    client.force_login(administrator)
    row = AccountIndex.objects.exclude(balance=None).first()
    assert isinstance(row.balance, Decimal)


def test_opened_today_or_in_the_last_days_answers_from_the_index(client, administrator):
    """The dashboard's "accounts opened today" links here (`?opened=today`)."""
    client.force_login(administrator)
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    for value, start in (("today", midnight), ("30", timezone.now() - timedelta(days=30))):
        response = client.get(LIST, {"opened": value})
        expected = AccountIndex.objects.filter(created_at__gte=start).count()
        assert response.context["page"].paginator.count == expected, value
    assert client.get(LIST, {"opened": "today"}).context["page"].paginator.count < (
        AccountIndex.objects.count())  # the filter cut something
