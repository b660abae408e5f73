"""When OMTrader fails or refuses, a trading page says so (503 / 502, the panel in #alerts for
htmx), never a 500."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
import requests
from django.urls import reverse

from crmportal.omtrader.client import reset_omtrader
from crmportal.staff.roles import SUPERVISOR
from tests.trading.helpers import every_row, footer


@pytest.fixture
def faults(upstream):
    """Faults left unused when the test ends are used up, so no later test meets them."""
    yield upstream
    token = upstream.login()["access_token"]
    for path in ("/api/v1/manager/positions", "/api/v1/manager/deals"):
        for _ in range(20):
            answer = requests.get(upstream.url + path, timeout=10,
                                  headers={"Authorization": f"Bearer {token}"})
            if answer.status_code == 200:
                break


@pytest.mark.parametrize("status", [500, 503])
def test_omtrader_not_answering_is_the_not_answering_page(client, as_user, faults, status):
    as_user("administrator")
    client.get(reverse("trading-list-positions"))  # the directory and symbols are cached
    faults.fault(method="GET", path="/api/v1/manager/positions", status=status, count=10)
    response = client.get(reverse("trading-list-positions"))
    assert response.status_code == 503
    assert b"not answering" in response.content


def test_a_refused_read_is_the_refused_page_and_htmx_gets_it_in_alerts(client, as_user, faults):
    as_user("administrator")
    client.get(reverse("trading-list-deals"))
    faults.fault(method="GET", path="/api/v1/manager/deals", status=400, count=2)
    response = client.get(reverse("trading-list-deals"))
    assert response.status_code == 502
    response = client.get(reverse("trading-list-deals"), HTTP_HX_REQUEST="true")
    assert response.status_code == 502
    assert response["HX-Retarget"] == "#alerts"


def test_a_straddling_clients_deals_show_only_the_accounts_in_scope(client, make_staff, wire):
    accounts = wire("accounts")
    by_client: dict[int, set[int]] = {}
    for account in accounts:
        by_client.setdefault(account["client_id"], set()).add(account["group_id"])
    straddling = next(c for c, groups in by_client.items() if 6 in groups and len(groups) > 1)
    inside = {a["id"] for a in accounts if a["client_id"] == straddling and a["group_id"] == 6}
    client.force_login(make_staff("lim", SUPERVISOR, group_ids=[6]))
    response = client.get(f"{reverse('trading-list-deals')}?client={straddling}&size=200")
    shown = {row.item.account_id for row in response.context["page"].rows}
    assert shown and shown <= inside
    expected = sum(1 for d in wire("deals") if d["account_id"] in inside)
    assert response.context["page"].paginator.count == expected


def test_deals_are_read_where_omtrader_keeps_them(client, as_user, knobs, wire):
    """An OMTrader that serves deals only under /api/v1/trader/deals (strict paths): the list,
    its footer, a deal's page, the statement and the export read them there."""
    as_user("administrator")
    deals = wire("deals")  # read before: the simulator's own manager path is then refused
    account = Counter(d["account_id"] for d in deals).most_common(1)[0][0]
    expected = {d["id"] for d in deals if d["account_id"] == account}
    knobs.control(strict_paths=True)
    reset_omtrader()
    query = f"account={account}"
    assert {d.id for d in every_row(client, "trading-list-deals", query)} == expected
    assert footer(client, "trading-list-deals", query)["count"] == len(expected)
    assert client.get(reverse("trading-show-deal", args=[max(expected)])).status_code == 200
    statement = client.get(reverse("trading-show-statement", args=[account]) + "?from="
                           + str(date.today() - timedelta(days=300)))
    assert statement.status_code == 200 and statement.context["statement"].lines
    export = client.get(reverse("trading-export-list", args=["deals"]) + "?" + query)
    rows = b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(rows) == len(expected) + 1
