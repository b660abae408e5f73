"""Trading pages against the real simulator, with its market paused so that the records a
test reads from OMTrader itself are the ones the portal lists."""

from __future__ import annotations

import pytest
import requests
from django.core.cache import caches

from crmportal.omtrader.client import get_omtrader, reset_omtrader

ROLES_WITH_VIEW = ("backoffice", "compliance", "supervisor", "administrator")


@pytest.fixture(scope="module")
def paused(simulator):
    simulator.control(market_paused=True, latency_ms=0, jitter_ms=0, error_rate=0,
                      strict_paths=False)
    yield simulator
    simulator.control(market_paused=False)


@pytest.fixture(autouse=True)
def upstream(paused, db, settings):
    settings.OMTRADER_URL = paused.url
    settings.OMTRADER_WS_URL = paused.ws_url
    settings.OMTRADER_RETRY_BACKOFF = 0.01
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    caches["default"].clear()
    reset_omtrader()
    yield paused
    reset_omtrader()
    caches["default"].clear()


@pytest.fixture
def omt(upstream):
    return get_omtrader()


@pytest.fixture
def as_user(db, client, request):
    """Sign the test client in as one of the role fixtures, by name."""

    def sign_in(name):
        user = request.getfixturevalue(name)
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture(scope="module")
def wire(paused):
    """The simulator's own records, read straight from its API (no portal code): wire("deals")
    -> every deal as a dict."""
    token = paused.login()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    seen: dict[str, list[dict]] = {}

    def read(path: str) -> list[dict]:
        if path not in seen:
            answer = session.get(f"{paused.url}/api/v1/manager/{path}",
                                 params={"page": -1}, timeout=60)
            answer.raise_for_status()
            seen[path] = answer.json()["data"]["records"]
        return seen[path]

    yield read
    session.close()
