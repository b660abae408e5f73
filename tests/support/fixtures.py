"""Fixtures the areas' tests share (registered in tests/conftest.py): the settings pointed at
the simulator, knobs turned back, the service layer, a test client signed in by role."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from crmportal.omtrader.client import get_omtrader, reset_omtrader
from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE, COMPLIANCE, SUPERVISOR

KNOBS = {"latency_ms": 0, "jitter_ms": 0, "error_rate": 0, "strict_paths": False}
ROLES = {"backoffice": BACK_OFFICE, "compliance": COMPLIANCE, "supervisor": SUPERVISOR,
         "administrator": ADMINISTRATOR}


@pytest.fixture
def pointed_at_simulator(db, simulator, settings):
    """The portal talks to the simulator; each test starts and ends with an empty cache."""
    settings.OMTRADER_URL = simulator.url
    settings.OMTRADER_WS_URL = simulator.ws_url
    settings.OMTRADER_RETRY_BACKOFF = 0.01
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    caches["default"].clear()
    reset_omtrader()
    yield simulator
    reset_omtrader()
    caches["default"].clear()


@pytest.fixture
def knobs(simulator):
    """Knobs a test turns (latency, faults) are turned back afterwards."""
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


def limited_member(request, client, make_staff, group: int):
    """For a fixture parametrized over ROLES: a member of that role limited to `group`,
    signed in; `slug` names the role."""
    user = make_staff(f"limited-{request.param}", ROLES[request.param], [group])
    client.force_login(user)
    user.slug = request.param
    return user
