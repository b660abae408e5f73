"""Signing out in one tab ends the live board in another at once: it says "Signed out" and
does not reconnect. A real daphne with the embedded relay, fed by the simulator."""

from __future__ import annotations

import pytest

from tests.support.portal import PortalProcess, embedded_env
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser

COUNT_OPENS = """document.addEventListener("htmx:wsOpen",
  () => { window.__opens = (window.__opens || 0) + 1; });"""


@pytest.fixture(scope="module")
def portal(simulator):
    process = PortalProcess(
        staff={"gina": ("supervisor", [6])},
        env=embedded_env(simulator),
    )
    process.start()
    yield process
    process.stop()


def test_it_ends_the_live_board_of_another_tab_when_the_member_signs_out(page, portal):
    page.add_init_script(COUNT_OPENS)
    page.goto(portal.url + "/login/?next=/live/")
    page.fill("#id_username", "gina")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/live/")
    page.wait_for_selector("#live-status[data-state='live']")

    other_tab = page.context.new_page()
    other_tab.goto(portal.url + "/")
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_url("**/login/")

    page.wait_for_selector("#live-status[data-state='ended']", timeout=5000)
    assert page.text_content("#live-status") == "Signed out"
    page.wait_for_timeout(3000)  # the htmx ws extension would have reconnected by now
    assert page.evaluate("window.__opens") == 1
    assert page.text_content("#live-status") == "Signed out"
