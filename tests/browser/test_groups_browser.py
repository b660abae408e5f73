"""The groups area in Chromium: a group's symbol row edited in place (the row turns into a
form, a bad value is named in the row, a good one is saved and shown), and a commission's tier
rows added and removed through htmx, all without a page load."""

from __future__ import annotations

import pytest

from tests.support.browser import sign_in
from tests.support.portal import PortalProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(omtrader_url=simulator.url, staff={"ada": ("administrator", [])})
    process.start()
    yield process
    process.stop()
    simulator.reset()


def test_a_row_is_edited_in_place(page, portal):
    sign_in(page, portal, "ada")
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


def test_tier_rows_are_added_and_removed_without_a_page_load(page, portal):
    sign_in(page, portal, "ada")
    page.goto(portal.url + "/groups/7/commissions/new/")
    page.evaluate("window.__marker = 'kept'")
    page.fill("#id_name", "Browser FX")
    page.fill("#id_tiers-0-value", "9")
    page.fill("#id_tiers-0-range_to", "10")
    page.click("button:has-text('Add a tier')")
    page.wait_for_selector("#id_tiers-1-value")
    page.fill("#id_tiers-1-value", "2.5")
    page.fill("#id_tiers-1-range_from", "10")
    page.click("button:has-text('Add a tier')")
    page.wait_for_selector("#id_tiers-2-value")
    page.click("button[aria-label='Remove tier 3']")
    page.wait_for_selector("#id_tiers-2-value", state="detached")
    assert page.input_value("#id_tiers-1-value") == "2.5"  # typed values survive the swaps
    assert page.evaluate("window.__marker") == "kept"
    page.click("button:has-text('Create commission')")
    page.wait_for_selector("text=Commission “Browser FX” saved.")
    tiers = page.locator("#commission-tiers").inner_text()
    assert "9 USD per lot for 0–10 lots" in tiers and "2.50 USD per lot from 10 lots up" in tiers
