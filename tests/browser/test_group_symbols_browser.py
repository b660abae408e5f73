"""A group's symbol row edited in place in Chromium: the row turns into a form, a bad value is
named in the row, a good one is saved and the row shows it, all without a page load."""

from __future__ import annotations

import pytest

from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(omtrader_url=simulator.url, staff={"ada": ("administrator", [])})
    process.start()
    yield process
    process.stop()
    simulator.reset()


def test_a_row_is_edited_in_place(page, portal):
    page.goto(portal.url + "/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to see you')")
    page.goto(portal.url + "/groups/7/symbols/")
    page.evaluate("window.__marker = 'kept'")
    row = page.locator("tr[data-symbol='EURUSD']")
    row.locator("text=Edit").click()
    spread = page.locator("tr[data-symbol='EURUSD'] input[name$='-spread']")
    spread.wait_for()
    spread.fill("-3")
    page.locator("tr[data-symbol='EURUSD'] button:has-text('Save')").click()
    page.wait_for_selector(
        "tr[data-symbol='EURUSD'] .errorlist:has-text('greater than or equal to 0')")
    spread.fill("9")
    page.locator("tr[data-symbol='EURUSD'] button:has-text('Save')").click()
    page.wait_for_selector("tr[data-symbol='EURUSD'] td[data-field='spread']")
    cell = page.locator("tr[data-symbol='EURUSD'] td[data-field='spread']").inner_text()
    assert cell.startswith("9")
    assert page.locator("tr[data-symbol='EURUSD'] input[name$='-spread']").count() == 0
    assert page.evaluate("window.__marker") == "kept"  # swapped by htmx, no reload
    page.reload()
    assert page.locator("tr[data-symbol='EURUSD'] td[data-field='spread']").inner_text() \
        .startswith("9")
