"""When OMTrader fails or refuses, a trading page says so (503 / 502, the panel in #alerts for
htmx), never a 500."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from crmportal.staff.roles import SUPERVISOR


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
