"""Clients and KYC in Chromium: find a client, edit them, see the audit entry; approve a KYC."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support.browser import sign_in
from tests.support.portal import PortalProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(omtrader_url=simulator.url,
                            staff={"bo": ("backoffice", []), "cora": ("compliance", [])})
    process.start()
    yield process
    process.stop()
    simulator.reset()


@pytest.fixture(scope="module")
def someone(simulator):
    """A seeded client with a name no other seeded client has."""
    token = simulator.login()["access_token"]
    answer = requests.get(f"{simulator.url}/api/v1/manager/clients",
                          params={"limit": 1000}, headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
    clients = answer.json()["data"]["records"]
    names = [(c["first_name"], c["family_name"]) for c in clients]
    return next(c for c in clients if names.count((c["first_name"], c["family_name"])) == 1)


def test_it_finds_a_client_edits_them_and_shows_the_audit_entry(page, portal, someone):
    sign_in(page, portal, "bo")
    page.goto(portal.url + "/clients/")
    page.evaluate("window.__marker = 'kept'")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type(f"{someone['first_name']} {someone['family_name']}")
    page.wait_for_url(re.compile(r"q=" + someone["first_name"]))
    row = page.locator("#client-table tbody tr", has_text=someone["family_name"])
    row.first.wait_for()
    assert page.locator("#client-table tbody tr").count() == 1
    assert page.evaluate("window.__marker") == "kept"  # htmx swapped the table, no reload

    row.locator("a").nth(1).click()
    page.wait_for_selector(f"h1:has-text('{someone['family_name']}')")
    page.go_back()
    page.wait_for_selector("#client-table tbody tr")
    assert page.locator("#client-table tbody tr").count() == 1
    assert page.input_value("input[name=q]") == f"{someone['first_name']} {someone['family_name']}"

    page.locator("#client-table tbody tr a").nth(1).click()
    page.click("text=Edit client")
    page.fill("#id_city", "Marsaxlokk")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("text=Saved: city.")
    audit = page.locator("#client-audit tbody tr").first
    assert "Client changed" in audit.inner_text() and "bo" in audit.inner_text()
    audit.locator("summary").click()
    assert re.search(r"City\s+\S.* → Marsaxlokk", audit.inner_text())
    assert "Marsaxlokk" in page.locator("#section-address").inner_text()


def test_a_compliance_reviewer_approves_a_kyc_from_the_queue(page, portal):
    sign_in(page, portal, "cora")
    page.click("nav.areas >> text=KYC queue")
    first = page.locator("#kyc-table tbody tr").first
    first.wait_for()
    row_id = first.get_attribute("id")
    name = first.locator("td").nth(1).inner_text()
    page.evaluate("window.__marker = 'kept'")
    page.once("dialog", lambda dialog: dialog.accept())  # "Approve the KYC of …?"
    first.locator("button:has-text('Approve')").click()
    page.wait_for_selector(f"text=KYC of client #{row_id.rsplit('-', 1)[1]} {name} approved.")
    assert page.locator(f"#{row_id}").count() == 0
    assert page.evaluate("window.__marker") == "kept"
    page.goto(portal.url + f"/clients/{row_id.rsplit('-', 1)[1]}/")
    assert "KYC: Approved" in page.locator(".page-head").inner_text()
    assert "cora" in page.locator("#client-kyc").inner_text()


@pytest.mark.parametrize("path,target", [("/clients/?size=25", "#client-table"),
                                         ("/kyc/?view=rekyc&size=25", "#kyc-table"),
                                         ("/audit/?size=25", "#audit-table")])
def test_it_shows_page_2_of_every_list_in_place_of_page_1(page, portal, path, target):
    portal.manage("shell", "-c", "from crmportal.audit.log import record\n"
                  "for n in range(30): record('client.update', actor_username='seed', "
                  "entity_type='client', entity_id=n + 1)")
    sign_in(page, portal, "cora")
    page.goto(portal.url + path)
    first_rows = page.locator(f"{target} tbody tr").all_inner_texts()
    page.locator(f"{target} nav.pagination >> text=Next ›").click()
    page.wait_for_url(re.compile(r"page=2"))
    page.wait_for_selector(f"{target} >> text=Page 2 of")
    assert page.locator(f"{target} table").count() == 1
    assert page.locator(f"{target} {target}, {target} .table-wrap .table-wrap").count() == 0
    assert page.locator(f"{target} tbody tr").all_inner_texts() != first_rows


def test_it_shows_the_filters_the_rows_obey_after_back_forward_and_reload(page, portal):
    sign_in(page, portal, "bo")
    page.goto(portal.url + "/clients/")
    page.select_option("select[name=status]", "8")
    page.wait_for_url(re.compile(r"status=8"))
    page.select_option("select[name=type]", "0")
    page.wait_for_url(re.compile(r"type=0"))
    assert "q=" not in page.url and "kyc=" not in page.url  # only what is set
    page.go_back()  # htmx restores its snapshot of ?status=8 within the document
    page.wait_for_url(re.compile(r"status=8$"))
    page.wait_for_selector("#client-table tbody tr")
    assert page.input_value("select[name=status]") == "8"
    assert page.input_value("select[name=type]") == ""
    page.go_forward()
    page.wait_for_url(re.compile(r"type=0"))
    page.wait_for_selector("#client-table tbody tr")
    assert page.input_value("select[name=type]") == "0"
    page.locator("#client-table tbody tr a").nth(1).click()
    page.wait_for_selector("#client-accounts")
    for move in (page.go_back, page.go_forward, page.go_back, page.reload):
        move()
        if "/clients/?" not in page.url:
            page.wait_for_selector("#client-accounts")
            continue
        page.wait_for_selector("#client-table tbody tr")
        assert page.input_value("select[name=status]") == "8"
        assert page.input_value("select[name=type]") == "0"
