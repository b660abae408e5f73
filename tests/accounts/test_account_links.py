"""Every account number links to the account page: client 360, the live board's rows, risk
panel and feed."""

from __future__ import annotations

from django.urls import reverse

from crmportal.live import render
from crmportal.staff.roles import SUPERVISOR


def test_the_client_360_links_each_account_and_offers_to_open_one(client, backoffice, omt,
                                                                  make_staff, cases):
    account = cases["inside"]
    url = reverse("clients-show-client", args=[account.client_id])
    client.force_login(backoffice)
    body = client.get(url).content.decode()
    assert f'<a href="/accounts/{account.id}/">{account.id}</a>' in body
    assert f'href="/accounts/new/?client={account.client_id}" id="open-account"' in body
    client.force_login(make_staff("sv-links", SUPERVISOR))
    assert 'id="open-account"' not in client.get(url).content.decode()


def test_the_live_board_links_account_numbers():
    row = render.render("position-row", {"r": {"id": 5, "account_id": 77, "group": "G",
                                               "group_id": 6, "symbol": "EURUSD"}})
    assert '<a href="/accounts/77/">77</a>' in row
    feed = render.render("feed-row", {"f": {"n": 1, "account_id": 78, "label": "Deal"}})
    assert '<a href="/accounts/78/">78</a>' in feed
