"""Money in Chromium: a deposit reviewed, confirmed, and the confirm page sent again from the
browser's history (refused, nothing sent twice); a lost reply shown as unknown, then settled
from the operation's page."""

from __future__ import annotations

import pytest
import requests

from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(omtrader_url=simulator.url, staff={"bo": ("backoffice", [])},
                            # the scheduler runs from start: not while this test settles by hand
                            env={"MONEY_SETTLE_SECONDS": "0", "MONEY_RECONCILE_EVERY": "3600"})
    process.start()
    yield process
    process.stop()
    simulator.reset()


@pytest.fixture(scope="module")
def account(simulator):
    """A seeded account whose owner's KYC is approved."""
    headers = {"Authorization": f"Bearer {simulator.login()['access_token']}"}
    base = f"{simulator.url}/api/v1/manager"
    clients = requests.get(f"{base}/clients", params={"page": -1}, headers=headers,
                           timeout=10).json()["data"]["records"]
    approved = {c["id"] for c in clients if c["kyc_status"] == 0}
    accounts = requests.get(f"{base}/accounts", params={"page": -1}, headers=headers,
                            timeout=10).json()["data"]["records"]
    return next(a for a in accounts if a["client_id"] in approved and a["currency"] == "USD")


def transactions(simulator, account_id: int, reference: str) -> int:
    headers = {"Authorization": f"Bearer {simulator.login()['access_token']}"}
    rows = requests.get(f"{simulator.url}/api/v1/manager/accounts/{account_id}/transactions/"
                        "history", params={"page": -1}, headers=headers,
                        timeout=10).json()["data"]["records"]
    return sum(1 for row in rows if f"[{reference}]" in row["comment"])


def deposit(page, portal, account, amount: str) -> None:
    page.goto(f"{portal.url}/money/new/{account['id']}/")
    page.fill("#id_amount", amount)
    page.fill("#id_comment", "browser")
    page.click("button:has-text('Review the operation')")
    page.wait_for_selector("#money-confirm")
    page.click("#money-confirm button[type=submit]")
    page.wait_for_selector("#money-state")


def test_a_deposit_is_sent_once_even_when_the_confirm_page_is_sent_again(page, portal,
                                                                         account, simulator):
    page.goto(portal.url + "/login/")
    page.fill("#id_username", "bo")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to see you')")

    deposit(page, portal, account, "21.50")
    assert page.inner_text("#money-state") == "Confirmed"
    reference = page.inner_text("h1 .muted")
    page.go_back()  # the confirm page again, as a browser retry would send it
    page.wait_for_selector("#money-confirm")
    page.click("#money-confirm button[type=submit]")
    page.wait_for_selector("text=already submitted")
    assert transactions(simulator, account["id"], reference) == 1

    simulator.fault(method="POST", path=f"/api/v1/manager/accounts/{account['id']}/money",
                    kind="after_close")
    deposit(page, portal, account, "3")
    assert page.inner_text("#money-state") == "Outcome unknown"
    reference = page.inner_text("h1 .muted")
    page.click("button:has-text('Look it up in OMTrader now')")
    page.wait_for_selector("#reconcile-findings")
    assert reference in page.inner_text("#reconcile-findings")
    page.click(f"#reconcile-findings a:has-text('{reference}')")
    assert page.inner_text("#money-state") == "Reconciled"
    assert transactions(simulator, account["id"], reference) == 1
