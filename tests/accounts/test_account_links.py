"""Every account number links to the account page: client 360, the live board's rows, risk
panel and feed."""

from __future__ import annotations

from collections import Counter

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


def test_the_account_page_links_its_group_statement_and_trading_lists(client, backoffice, cases):
    account = cases["inside"]
    client.force_login(backoffice)
    body = client.get(reverse("accounts-show-account", args=[account.id])).content.decode()
    group_url = reverse("groups-show-group", args=[account.group_id])
    assert f'href="{group_url}" id="account-group"' in body
    assert f'href="{reverse("trading-show-statement", args=[account.id])}"' in body
    for name in ("trading-list-positions", "trading-list-orders", "trading-list-position-history",
                 "trading-list-order-history", "trading-list-deals"):
        assert f'href="{reverse(name)}?account={account.id}"' in body


def test_group_and_trading_pages_link_account_numbers(client, administrator, cases):
    account = cases["inside"]
    client.force_login(administrator)
    group_page = client.get(reverse("groups-show-group", args=[account.group_id]))
    assert f'<a href="/accounts/{account.id}/">{account.id}</a>' in group_page.content.decode()
    positions = client.get(reverse("trading-list-deals") + f"?account={account.id}")
    assert f'href="/accounts/{account.id}/"' in positions.content.decode()



def test_the_account_and_client_pages_link_positions_orders_and_deals(client, backoffice, omt):
    client.force_login(backoffice)
    with_order = omt.list_orders(limit=1).items[0].account_id
    with_position = omt.list_positions(limit=1).items[0].account_id
    pages, checked = [], Counter()
    for account_id in {with_order, with_position}:
        page = client.get(reverse("accounts-show-account", args=[account_id]))
        pages.append(("account", page, ("position", "order", "deal")))
        client_id = page.context["account"].client_id
        pages.append(("client", client.get(reverse("clients-show-client", args=[client_id])),
                      ("position", "deal")))  # the client page: open positions, recent deals
    for name, page, kinds in pages:
        for kind in kinds:
            for record, *_ in page.context[f"{kind}s"]:
                link = f'href="{reverse(f"trading-show-{kind}", args=[record.id])}"'
                assert link in page.content.decode()
                checked[name, kind] += 1
    assert len(checked) == 5  # each kind on each page that lists it
