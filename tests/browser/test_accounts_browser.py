"""The accounts area in Chromium: open an account for a client and find it on the client 360;
the account page's money changes live when the market moves. A real daphne with the embedded
relay, fed by the simulator."""

from __future__ import annotations

import pytest
import requests

from tests.support.browser import wait_for_js
from tests.support.portal import PortalProcess, embedded_env
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(
        staff={"bo": ("backoffice", None)},
        env=embedded_env(simulator),
    )
    process.start()
    yield process
    process.stop()
    simulator.control(market_paused=False)
    simulator.reset()


def _api(simulator, method: str, path: str, **kwargs):
    token = simulator.login()["access_token"]
    response = requests.request(method, f"{simulator.url}/api/v1/manager{path}", timeout=10,
                                headers={"Authorization": f"Bearer {token}"}, **kwargs)
    return response.json()["data"]


def sign_in(tab, portal, next_url: str) -> None:
    tab.goto(f"{portal.url}/login/?next={next_url}")
    tab.fill("#id_username", "bo")
    tab.fill("#id_password", PASSWORD)
    tab.keyboard.press("Enter")
    tab.wait_for_url(lambda url: "/login/" not in url)
    tab.wait_for_load_state()


def test_open_an_account_for_a_client_and_see_it_on_the_client_360(page, portal,
                                                                   simulator):
    customer = _api(simulator, "POST", "/clients", json={
        "first_name": "Brow", "family_name": "Ser", "type": 0, "status": 1,
        "email": "brow.ser@example.test", "preferred_group": 6})
    sign_in(page, portal, f"/clients/{customer['id']}/")
    page.click("#open-account")
    page.select_option("#id_group_id", "6")
    assert page.input_value("#id_family_name") == "Ser"  # prefilled from the client
    page.click("form.client-form button[type=submit]")
    page.wait_for_selector("#account-passwords")
    password = page.inner_text("#password-1")
    assert len(password) >= 8
    account_id = page.inner_text("#account-passwords h1").split("#")[1].split()[0]
    page.click("text=Back to the client")
    page.wait_for_url(f"**/clients/{customer['id']}/")
    links = page.eval_on_selector_all("#client-accounts table a[href^='/accounts/']",
                                      "links => links.map(a => a.textContent)")
    assert len(links) == 1 and links[0].isdigit()
    assert links[0] == account_id
    assert password not in page.content()  # shown once, on its own page only
    # Editing: choosing another group shows its levels before anything is saved.
    page.goto(f"{portal.url}/accounts/{account_id}/edit/")
    page.select_option("#id_group_id", "8")
    page.wait_for_selector("#group-move")
    assert "Live VIP: margin call 120.00 %, stop-out 60.00 %" in page.inner_text("#group-move")


def test_the_account_page_money_changes_when_the_market_moves(page, portal,
                                                              simulator):
    simulator.control(market_paused=True)
    positions = _api(simulator, "GET", "/positions", params={"page": -1})["records"]
    plain = [p for p in positions if p["price_sl"] is None and p["price_tp"] is None]
    position = plain[0]
    account_id = position["account_id"]
    symbol = _api(simulator, "GET", f"/symbols/{position['symbol_id']}")["symbol"]
    sign_in(page, portal, f"/accounts/{account_id}/")
    page.evaluate("window.__marker = 'kept'")
    before = page.inner_text("#account-equity")
    page.wait_for_timeout(1500)  # the socket is up and has its snapshot
    simulator.shock(symbol, 1)
    wait_for_js(page, "(before) => document.getElementById('account-equity').textContent "
                      "!== before", arg=before, timeout=20000)
    assert page.evaluate("window.__marker") == "kept"  # the same page: no reload
    assert page.inner_text("#account-profit") != ""
