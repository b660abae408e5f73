"""Groups, commissions and symbols against the real simulator: the settings point at it and
each test starts with an empty cache. Modules that write take `writes`: the seeded state
comes back when they are done."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from crmportal.omtrader.client import get_omtrader, reset_omtrader

KNOBS = {"latency_ms": 0, "jitter_ms": 0, "error_rate": 0, "strict_paths": False,
         "market_paused": False}


@pytest.fixture(autouse=True)
def upstream(db, simulator, settings):
    settings.OMTRADER_URL = simulator.url
    settings.OMTRADER_WS_URL = simulator.ws_url
    settings.OMTRADER_RETRY_BACKOFF = 0.01
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    caches["default"].clear()
    reset_omtrader()
    yield simulator
    reset_omtrader()
    caches["default"].clear()


@pytest.fixture(scope="module")
def writes(simulator):
    yield simulator
    simulator.reset()


@pytest.fixture
def knobs(simulator):
    """Knobs a test turns (latency, faults, a paused market) are turned back afterwards."""
    yield simulator
    simulator.control(**KNOBS)


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
