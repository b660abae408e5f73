"""Trading in Chromium: from a closed position to its opening deal, its order, the account
and the client; the deal list filters through htmx with the state in the address."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support.browser import wait_for_js
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(omtrader_url=simulator.url, staff={"sam": ("supervisor", [])})
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def trade(simulator):
    """An opening deal of a closed position of the seeded history, and its account."""
    token = simulator.login()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    deals = requests.get(f"{simulator.url}/api/v1/manager/deals", headers=headers, timeout=30,
                         params={"limit": 1000, "sort_by": "id", "dir": "ASC"}
                         ).json()["data"]["records"]
    closing = next(d for d in deals if d["direction"] == 1 and d["position_id"])
    opening = next(d for d in deals
                   if d["position_id"] == closing["position_id"] and d["direction"] == 0)
    account = requests.get(f"{simulator.url}/api/v1/manager/accounts/{opening['account_id']}",
                           headers=headers, timeout=30).json()["data"]
    return opening, account


def sign_in(page, portal, username):
    page.goto(portal.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to see you')")


def test_position_to_opening_deal_to_order_to_account_and_client(page, portal, trade):
    opening, account = trade
    sign_in(page, portal, "sam")
    page.goto(f"{portal.url}/trading/positions/{opening['position_id']}/")
    page.wait_for_selector(f"h1:has-text('Position {opening['position_id']}')")
    page.click(f"a[data-link=deal]:text-is('{opening['id']}')")
    page.wait_for_selector(f"h1:has-text('Deal {opening['id']}')")
    page.click("a[data-link=order]")
    page.wait_for_selector(f"h1:has-text('Order {opening['order_id']}')")
    page.click("a[data-link=account]")
    page.wait_for_url(re.compile(rf"/accounts/{account['id']}/$"))
    page.click("#account-owner")
    page.wait_for_url(re.compile(rf"/clients/{account['client_id']}/$"))
    page.wait_for_selector(f"#client-accounts a:text-is('{account['id']}')")


def test_the_deal_list_filters_in_place_and_keeps_the_state_in_the_address(page, portal,
                                                                          trade):
    opening, account = trade
    sign_in(page, portal, "sam")
    page.goto(f"{portal.url}/trading/deals/")
    page.evaluate("window.__marker = 'kept'")
    page.fill("input[name=account]", str(account["id"]))
    page.select_option("select[name=side]", "1")
    page.wait_for_url(re.compile(rf"account={account['id']}.*side=1|side=1.*account="))
    page.locator("#trading-table tbody tr").first.wait_for()
    sides = page.locator("#trading-table tbody tr td:nth-child(4)").all_inner_texts()
    assert sides and set(sides) <= {"Sell"}
    assert page.evaluate("window.__marker") == "kept"  # htmx swapped the table, no reload
    page.go_back()
    page.wait_for_url(re.compile(r"/trading/deals/$"))


def test_the_footer_leaves_the_focus_where_it_was_and_a_page_link_keeps_it_in_the_table(
        page, portal):
    sign_in(page, portal, "sam")
    page.goto(f"{portal.url}/trading/deals/")
    page.wait_for_selector("#trading-totals [data-total-count]")  # loaded by a request of its own
    wait_for_js(page, "!document.querySelector('.htmx-request, .htmx-settling')")  # settled
    assert page.evaluate("document.activeElement === document.body")
    page.click("#trading-table .pagination a:has-text('Next')")
    page.wait_for_url(re.compile(r"page=2"))
    wait_for_js(page, "document.getElementById('trading-table').contains(document.activeElement)")


def test_back_and_forward_show_the_filters_of_the_address(page, portal):
    sign_in(page, portal, "sam")
    page.goto(f"{portal.url}/trading/deals/?size=100")
    assert page.input_value("select[name=size]") == "100"
    page.select_option("select[name=side]", "1")
    page.wait_for_url(re.compile(r"side=1"))
    page.select_option("select[name=side]", "0")
    page.wait_for_url(re.compile(r"side=0"))
    assert "size=100" in page.url  # a filter change keeps the page size
    page.go_back()
    page.wait_for_url(re.compile(r"side=1"))
    wait_for_js(page, "document.querySelector('select[name=side]').value === '1'")
    page.go_back()
    page.wait_for_url(re.compile(r"/trading/deals/\?size=100$"))
    wait_for_js(page, "document.querySelector('select[name=side]').value === ''")
    assert page.input_value("select[name=size]") == "100"


def test_the_statement_prints_on_a4_without_navigation(page, portal, trade):
    _, account = trade
    sign_in(page, portal, "sam")
    page.goto(f"{portal.url}/accounts/{account['id']}/statement/")
    page.emulate_media(media="print")
    for hidden in (".topbar", ".breadcrumbs", "form.filters"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator("[data-closing]").is_visible()
    pdf = page.pdf(format="Letter", prefer_css_page_size=True)  # the stylesheet's @page wins
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert (round(width), round(height)) == (595, 842)  # A4 in points
