"""The account statement: its closing balance is OMTrader's balance when the period ends now,
and the lines add up from the opening balance."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.staff.roles import BACK_OFFICE, SUPERVISOR


def _busy_accounts(wire, count=3):
    """Accounts with the most deals (deposits, trades and withdrawals)."""
    per = {}
    for deal in wire("deals"):
        per[deal["account_id"]] = per.get(deal["account_id"], 0) + 1
    return sorted(per, key=per.get, reverse=True)[:count]


def test_closing_balance_is_omtraders_balance_when_the_period_ends_now(
        client, as_user, wire, omt):
    as_user("backoffice")
    start = date.today() - timedelta(days=300)
    for account_id in _busy_accounts(wire):
        response = client.get(reverse("trading-show-statement", args=[account_id])
                              + f"?from={start}")
        statement = response.context["statement"]
        assert statement.ends_now
        assert statement.closing == omt.get_account(account_id).balance
        assert statement.lines, "the busiest accounts trade within the period"
        running = statement.opening
        for line in statement.lines:
            running += line.amount
            assert line.balance == running
        assert running == statement.closing
        sums = (statement.deposits - statement.withdrawals + statement.realized
                + statement.commissions + statement.swaps)
        assert statement.opening + sums == statement.closing


def test_from_before_the_account_opened_the_deals_add_up_to_omtraders_balance(
        client, as_user, wire, omt):
    """Not circular: the opening balance is worked back from today's balance through every
    deal, so it is 0 before the first deposit only if the deals add up to the balance."""
    as_user("backoffice")
    start = date.today() - timedelta(days=366)
    for account_id in _busy_accounts(wire, 5):
        response = client.get(reverse("trading-show-statement", args=[account_id])
                              + f"?from={start}")
        statement = response.context["statement"]
        assert statement.opening == 0
        assert statement.closing == omt.get_account(account_id).balance
        assert statement.lines[0].kind == "Deposit"


def test_a_period_in_the_past_closes_where_the_next_one_opens(client, as_user, wire):
    as_user("backoffice")
    account_id = _busy_accounts(wire, 1)[0]
    url = reverse("trading-show-statement", args=[account_id])
    middle = date.today() - timedelta(days=90)
    first = client.get(f"{url}?from={middle - timedelta(days=120)}&to={middle}")
    second = client.get(f"{url}?from={middle + timedelta(days=1)}")
    assert not first.context["statement"].ends_now
    assert first.context["statement"].closing == second.context["statement"].opening
    open_ids = {p.id for p in first.context["statement"].open_positions}
    ends = first.context["statement"].end
    for p in wire("positions") + wire("positions/history"):
        if p["account_id"] == account_id and p["id"] in open_ids:
            assert p["created_at"] < ends.isoformat().replace("+00:00", "Z")


def test_the_statement_lists_positions_open_now(client, as_user, wire):
    as_user("backoffice")
    held = wire("positions")[0]
    response = client.get(reverse("trading-show-statement", args=[held["account_id"]]))
    assert held["id"] in {p.id for p in response.context["statement"].open_positions}


def test_the_statement_prints_without_navigation(client, as_user, wire):
    as_user("backoffice")
    response = client.get(reverse("trading-show-statement", args=[_busy_accounts(wire, 1)[0]]))
    assert b"css/statement-print.css" in response.content and b'media="print"' in response.content


def test_statement_csv_needs_the_export_permission_and_is_audited(client, as_user, wire):
    account_id = _busy_accounts(wire, 1)[0]
    url = reverse("trading-show-statement", args=[account_id]) + "?format=csv"
    as_user("supervisor")
    assert client.get(url).status_code == 403
    client.logout()
    as_user("compliance")
    response = client.get(url)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("Time,Type,Deal") and "Closing balance" in lines[-1]
    assert AuditEntry.objects.filter(action="trading.statement_export",
                                     entity_id=str(account_id)).exists()


@pytest.mark.parametrize("query", ["from=yesterday", "from=2025-05-01&to=2025-01-01",
                                   "from=2010-01-01&to=2025-01-01", "to=2999-01-01",
                                   "from=2010-01-01", "from=0001-01-01", "to=9999-12-31"])
@pytest.mark.parametrize("time_zone", ["", "Asia/Tokyo"])
def test_bad_statement_dates_are_corrected(client, make_staff, wire, query, time_zone):
    client.force_login(make_staff("bo-tz", BACK_OFFICE, time_zone=time_zone))
    url = reverse("trading-show-statement", args=[_busy_accounts(wire, 1)[0]]) + "?" + query
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["notices"]
    assert response.context["to"] <= date.today() + timedelta(days=1)
    assert (response.context["to"] - response.context["from"]).days <= 366
    csv = client.get(url + "&format=csv")
    assert csv.status_code == 200 and b"Closing balance" in b"".join(csv.streaming_content)


def test_a_statement_out_of_scope_is_missing(client, make_staff, wire):
    account = next(a for a in wire("accounts") if a["group_id"] == 7)
    client.force_login(make_staff("lim", SUPERVISOR, group_ids=[6]))
    url = reverse("trading-show-statement", args=[account["id"]])
    assert client.get(url).status_code == 404
    assert client.get(reverse("trading-show-statement", args=[99_999_999])).status_code == 404


def test_money_is_shown_with_the_account_digits(client, as_user, wire):
    as_user("backoffice")
    response = client.get(reverse("trading-show-statement", args=[_busy_accounts(wire, 1)[0]]))
    closing = response.context["statement"].closing
    assert f"{closing:,.2f}" in response.content.decode()
    assert isinstance(closing, Decimal)
