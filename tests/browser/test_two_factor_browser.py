from __future__ import annotations

import base64

import pytest
from django_otp.oath import totp

from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal():
    process = PortalProcess(staff={"cora": ("compliance", [])},
                            env={"OTP_REQUIRED_ROLES": "compliance"})
    process.start()
    yield process
    process.stop()


def _code(secret_text: str, drift: int = 0) -> str:
    key = secret_text.replace(" ", "")
    key += "=" * (-len(key) % 8)
    return f"{totp(base64.b32decode(key), drift=drift):06d}"


def test_it_enrols_with_the_qr_page_and_then_asks_for_the_code_at_sign_in(page, portal):
    page.goto(portal.url + "/clients/")
    page.fill("#id_username", "cora")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Set up two-factor sign-in')")
    assert page.locator("figure.qr-code svg path.qrline").count() == 1
    secret = page.locator("code.secret").inner_text()
    page.fill("#id_code", _code(secret))
    page.click("button:has-text('Turn on two-factor sign-in')")
    page.wait_for_selector("h1:has-text('Your recovery codes')")
    assert page.locator(".recovery-codes li").count() == 10
    page.click("a:has-text('I have saved them')")
    page.wait_for_url("**/clients/**")

    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/login/**")
    page.fill("#id_username", "cora")
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Enter your code')")
    page.fill("#id_code", _code(secret, drift=1))  # a phone clock one step ahead still works
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Good to see you, cora')")
