"""Two-factor sign-in, step-up and staff management: helpers that act like the member's
authenticator app, and settings that turn the second factor on."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from crmportal.omtrader.client import reset_omtrader
from crmportal.staff import stepup
from tests.support.staff import PASSWORD


def app_code(device: TOTPDevice, offset: int = 0) -> str:
    """What the member's authenticator app shows now (offset in steps: -1 = the last one)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, offset):06d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet (a device accepts each time step only once)."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step
    offset = max(0, device.last_t - now_t + 1)  # the first step not used yet
    if offset > device.tolerance:  # beyond the device's drift allowance: wait for it
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.05)
        return fresh_code(device)
    return app_code(device, offset)


@pytest.fixture(autouse=True)
def no_throttle(settings):
    """django-otp's delay after a wrong code is its own concern; these tests try again at once.
    The sign-in pause counts failures in the cache, which other modules' tests leave behind."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    caches["default"].clear()


@pytest.fixture
def otp_required(settings):
    settings.OTP_REQUIRED_ROLES = "all"


@pytest.fixture
def enrolled(db):
    """Give a member a confirmed authenticator (as if they had enrolled)."""

    def enrol(user) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)

    return enrol


@pytest.fixture
def verified(client, enrolled):
    """Sign a member in with an authenticator whose code this session has passed."""

    def go(user) -> TOTPDevice:
        device = enrolled(user)
        client.force_login(user)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
        return device

    return go


@pytest.fixture
def sign_in(client):
    """Sign in with the password through the real sign-in page."""

    def go(username: str, password: str = PASSWORD, next_url: str = ""):
        data = {"username": username, "password": password}
        if next_url:
            data["next"] = next_url
        response = client.post("/login/", data)
        assert response.status_code == 302, "the password was not accepted"
        return response

    return go


@pytest.fixture
def stale(client):
    """Make the signed-in member's last confirmation older than STEP_UP_SECONDS."""

    def age(seconds: int = 10_000):
        session = client.session
        session[stepup.CONFIRMED_AT] = int(time.time()) - seconds
        session.save()

    return age


@pytest.fixture
def upstream(db, simulator, settings):
    """Staff pages list OMTrader's groups: point the service layer at the simulator."""
    settings.OMTRADER_URL = simulator.url
    settings.OMTRADER_WS_URL = simulator.ws_url
    settings.OMTRADER_RETRY_BACKOFF = 0.01
    caches["default"].clear()
    reset_omtrader()
    yield simulator
    reset_omtrader()
    caches["default"].clear()
