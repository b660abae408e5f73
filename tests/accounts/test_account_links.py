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
    with_orders = {o.account_id for o in omt.list_orders(limit=500).items}
    position = next(p for p in omt.list_positions(limit=500).items if p.account_id in with_orders)
    account_page = client.get(reverse("accounts-show-account", args=[position.account_id]))
    client_id = account_page.context["account"].client_id
    client_page = client.get(reverse("clients-show-client", args=[client_id]))
    on_account = {"position": account_page.context["positions"],
                  "order": account_page.context["orders"], "deal": account_page.context["deals"]}
    on_client = {"position": client_page.context["positions"],
                 "deal": client_page.context["deals"]}
    for page, shown in ((account_page, on_account), (client_page, on_client)):
        assert all(shown.values())
        for kind, rows in shown.items():
            for record, *_ in rows:
                link = f'href="{reverse(f"trading-show-{kind}", args=[record.id])}"'
                assert link in page.content.decode()
