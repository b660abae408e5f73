"""Order, position and deal pages: cross-linked, scoped like missing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from crmportal.staff.roles import SUPERVISOR
from tests.trading.conftest import ROLES_WITH_VIEW


@pytest.fixture(scope="module")
def closed_trade(wire):
    """A closed position of the seeded history with its opening deal and order."""
    deals = wire("deals")
    closing = next(d for d in reversed(deals) if d["direction"] == 1 and d["position_id"])
    opening = next(d for d in deals
                   if d["position_id"] == closing["position_id"] and d["direction"] == 0)
    account = next(a for a in wire("accounts") if a["id"] == opening["account_id"])
    return {"position": closing["position_id"], "opening": opening, "closing": closing,
            "account": account}


def _link(html: bytes, kind: str) -> str:
    return re.search(rf'href="([^"]+)"[^>]*data-link="{kind}"', html.decode()).group(1)


@pytest.mark.parametrize("role", ROLES_WITH_VIEW)
def test_each_role_follows_position_to_deal_to_order_to_account_and_client(
        client, as_user, role, closed_trade):
    as_user(role)
    page = client.get(reverse("trading-show-position", args=[closed_trade["position"]]))
    assert page.status_code == 200
    deal_url = _link(page.content, "deal")
    assert deal_url == reverse("trading-show-deal", args=[closed_trade["opening"]["id"]])
    assert f'href="{reverse("trading-show-deal", args=[closed_trade["closing"]["id"]])}"' in \
        page.content.decode()
    deal = client.get(deal_url)
    order_url = _link(deal.content, "order")
    assert order_url == reverse("trading-show-order", args=[closed_trade["opening"]["order_id"]])
    assert _link(page.content, "order") == order_url  # the order that opened the position
    order = client.get(order_url)
    assert order.status_code == 200
    position_url = reverse("trading-show-position", args=[closed_trade["position"]])
    client_url = reverse("clients-show-client", args=[closed_trade["account"]["client_id"]])
    account_url = reverse("accounts-show-account", args=[closed_trade["account"]["id"]])
    symbol_url = reverse("symbols-show-symbol", args=[closed_trade["opening"]["symbol_id"]])
    for html in (deal.content, order.content):
        assert _link(html, "position") == position_url
        assert _link(html, "client") == client_url
        assert _link(html, "account") == account_url
        assert _link(html, "symbol") == symbol_url
    assert client.get(symbol_url).status_code == 200


def test_prices_show_the_symbol_digits_and_enums_their_labels(client, as_user, closed_trade):
    as_user("administrator")
    page = client.get(reverse("trading-show-deal", args=[closed_trade["opening"]["id"]]))
    deal = page.context["deal"]
    assert deal.price.as_tuple().exponent == -closed_trade["opening"]["digits"]
    assert deal.side.label in ("Buy", "Sell") and deal.side.label in page.content.decode()


@pytest.mark.parametrize("url_name", ["trading-show-position", "trading-show-order",
                                      "trading-show-deal"])
def test_out_of_scope_is_the_same_404_as_missing(client, make_staff, url_name, closed_trade):
    group = closed_trade["account"]["group_id"]
    other = 6 if group != 6 else 7
    client.force_login(make_staff("lim", SUPERVISOR, group_ids=[other]))
    key = {"trading-show-position": closed_trade["position"],
           "trading-show-order": closed_trade["opening"]["order_id"],
           "trading-show-deal": closed_trade["opening"]["id"]}[url_name]
    hidden = client.get(reverse(url_name, args=[key]))
    missing = client.get(reverse(url_name, args=[99_999_999]))
    assert hidden.status_code == missing.status_code == 404
    strip = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub(b"", hidden.content) == strip.sub(b"", missing.content)
    client.force_login(make_staff("in", SUPERVISOR, group_ids=[group]))
    assert client.get(reverse(url_name, args=[key])).status_code == 200


def test_a_member_without_view_trading_is_refused(client, as_user, closed_trade):
    as_user("roleless")
    url = reverse("trading-show-position", args=[closed_trade["position"]])
    assert client.get(url).status_code == 403


def test_the_client_page_links_to_its_trading_pre_filtered(client, as_user, closed_trade):
    as_user("backoffice")
    client_id = closed_trade["account"]["client_id"]
    page = client.get(reverse("clients-show-client", args=[client_id])).content.decode()
    for url_name in ("trading-list-positions", "trading-list-orders", "trading-list-deals",
                     "trading-list-position-history", "trading-list-order-history"):
        assert f'href="{reverse(url_name)}?client={client_id}"' in page
    statement = reverse("trading-show-statement", args=[closed_trade["account"]["id"]])
    assert f'href="{statement}"' in page
    deals = client.get(f"{reverse('trading-list-deals')}?client={client_id}&size=200")
    accounts = {row.item.account_id for row in deals.context["page"].rows}
    assert closed_trade["account"]["id"] in accounts
