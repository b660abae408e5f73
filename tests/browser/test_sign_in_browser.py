from __future__ import annotations

import pytest

from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal():
    process = PortalProcess(staff={"ada": ("administrator", []), "sam": ("supervisor", [])})
    process.start()
    yield process
    process.stop()


def test_it_signs_in_through_the_login_page_and_sees_the_dashboard(page, portal):
    page.goto(portal.url + "/")
    assert "/login/" in page.url
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Good to see you, ada')")
    assert page.locator(".topbar .badge").inner_text() == "Administrator"
    assert page.locator("nav.areas a", has_text="Audit log").count() == 1


def test_it_shows_the_refusal_page_to_a_role_without_access(page, portal):
    page.goto(portal.url + "/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to see you')")
    response = page.goto(portal.url + "/audit/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "You do not have access to this"


def test_it_filters_the_audit_log_without_a_reload(page, portal):
    page.goto(portal.url + "/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Good to see you')")
    page.goto(portal.url + "/audit/")
    page.evaluate("window.__marker = 'kept'")
    page.fill("input[name=action]", "auth.login_failed")
    page.keyboard.press("Enter")
    page.wait_for_url("**action=auth.login_failed**")
    assert page.evaluate("window.__marker") == "kept"
    assert page.locator("#audit-table td.empty").count() == 1
