"""Fixtures shared by the whole suite: staff members per role and the simulator."""

from __future__ import annotations

import pytest

from crmportal.staff.members import create_staff
from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE, COMPLIANCE, SUPERVISOR
from tests.support.fixtures import (  # noqa: F401 - fixtures, registered by being imported
    as_user,
    knobs,
    omt,
    pointed_at_simulator,
)
from tests.support.staff import PASSWORD


@pytest.fixture
def make_staff(db):
    def make(username: str, role: str, group_ids: list[int] | None = None, time_zone: str = ""):
        # No groups given: the member sees every group (explicitly; scope fails closed).
        return create_staff(username, role, PASSWORD, group_ids=group_ids,
                            all_groups=group_ids is None, time_zone=time_zone)

    return make


@pytest.fixture
def backoffice(make_staff):
    return make_staff("bo", BACK_OFFICE)


@pytest.fixture
def compliance(make_staff):
    return make_staff("cora", COMPLIANCE)


@pytest.fixture
def supervisor(make_staff):
    return make_staff("sam", SUPERVISOR)


@pytest.fixture
def administrator(make_staff):
    return make_staff("ada", ADMINISTRATOR)


@pytest.fixture
def roleless(db, django_user_model):
    return django_user_model.objects.create_user("nobody", password=PASSWORD)


@pytest.fixture(autouse=True)
def forget_sign_in_failures():
    """Failed sign-ins are counted in the cache, which outlives a test."""
    yield
    from crmportal.staff import lockout

    for username in ("bo", "cora", "sam", "ada", "nobody"):
        lockout.forget(username=username)
    lockout.forget(address="127.0.0.1")


@pytest.fixture(autouse=True)
def no_second_factor_required(settings):
    """Tests sign members in with force_login; tests of two-factor sign-in turn it on."""
    settings.OTP_REQUIRED_ROLES = "none"


@pytest.fixture(autouse=True)
def close_the_shared_sync_thread_s_connection():
    """Async code reaches the database through asgiref's one shared sync thread, whose
    connection outlives the test (CONN_MAX_AGE): PostgreSQL then refuses to drop the test
    database at the end of the run while that session is open."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture(scope="session")
def simulator():
    """One simulator process for the whole run; tests that change its knobs reset it."""
    from tests.support.simulator import SimulatorProcess

    sim = SimulatorProcess()
    sim.start()
    yield sim
    sim.stop()
