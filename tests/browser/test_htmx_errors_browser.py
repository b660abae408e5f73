"""In Chromium: an error met by an htmx request (a filter, a form) shows in the page's alert
region, with the focus on it, the list and the address left as they were."""

from __future__ import annotations

import pytest

from tests.support.browser import wait_for_js
from tests.support.portal import PortalProcess
from tests.support.simulator import SimulatorProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser

ROLE = ("from django.contrib.auth import get_user_model; "
        "user = get_user_model().objects.get(username='bo'); ")


@pytest.fixture(scope="module")
def own_simulator():
    """A simulator of this module's own, so a test can stop it."""
    simulator = SimulatorProcess().start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def portal(own_simulator):
    process = PortalProcess(env={"OMTRADER_URL": own_simulator.url,
                                 "OMTRADER_WS_URL": own_simulator.ws_url,
                                 "OMTRADER_RETRY_BACKOFF": "0.01"},
                            staff={"bo": ("backoffice", []), "cora": ("compliance", [])})
    process.start()
    yield process
    process.stop()


def sign_in(page, portal, username: str, next_path: str) -> None:
    page.goto(f"{portal.url}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_it_shows_a_refusal_met_by_a_filter_change_and_clears_it_after_the_next_success(
        page, portal):
    sign_in(page, portal, "bo", "/clients/")
    page.wait_for_selector("#client-table tbody tr")
    rows = page.locator("#client-table tbody tr").count()
    roles = portal.manage("shell", "--no-imports", "-c", ROLE + "print(*user.groups.values_list("
                          "'id', flat=True), sep=','); user.groups.clear()").strip()

    page.select_option("select[name=status]", index=1)
    page.wait_for_selector("#alerts >> text=You do not have access to this")
    wait_for_js(page, "document.activeElement.id === 'alerts'")  # focus follows the swap
    assert page.url == portal.url + "/clients/"  # the refused filter is not in the address
    assert page.locator("#client-table tbody tr").count() == rows

    portal.manage("shell", "--no-imports", "-c", ROLE + f"user.groups.set([{roles}])")
    page.select_option("select[name=status]", index=2)
    page.wait_for_url("**/clients/?status=*")
    page.wait_for_selector("#alerts:empty", state="attached")


def test_it_shows_omtrader_unavailable_when_a_kyc_approval_meets_a_stopped_omtrader(
        page, portal, own_simulator):
    sign_in(page, portal, "cora", "/kyc/")
    page.wait_for_selector("#kyc-table tbody tr button:has-text('Approve'):not([disabled])")
    own_simulator.stop()
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    page.locator("#kyc-table tbody tr button:has-text('Approve'):not([disabled])").first.click()

    panel = page.wait_for_selector("#alerts >> text=OMTrader is not answering")
    assert panel.is_visible()
    wait_for_js(page, "document.activeElement.id === 'alerts'")  # focus follows the swap
    assert page.url == portal.url + "/kyc/"
    assert page.locator("#kyc-table tbody tr").count() > 0
    retry = page.get_attribute("#alerts a:has-text('Try again')", "href")
    assert retry == "/kyc/"  # the page, not the approval's POST address
