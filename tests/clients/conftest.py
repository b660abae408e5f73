"""Clients and KYC against the real simulator: the settings point at it and each test starts
with an empty cache. The client index is built once per session (committed, so every test
starts from it and rolls its own changes back); each page still checks it against OMTrader,
and a test may empty it to see a first build."""

from __future__ import annotations

import itertools

import pytest
from django.test import override_settings
from django.urls import reverse

from crmportal.clients import index
from crmportal.clients.models import ClientIndex, IndexState
from crmportal.omtrader.client import get_omtrader, reset_omtrader
from tests.support.fixtures import (  # noqa: F401 - other areas' conftests import these here
    KNOBS,
    as_user,
    knobs,
    omt,
)

_names = itertools.count(1)
ROLES_WITH_VIEW = ("backoffice", "compliance", "supervisor", "administrator")


def form_data(client, client_id: int) -> dict:
    """The edit form's current values, as the browser would send them back."""
    form = client.get(reverse("clients-edit-client", args=[client_id])).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else (value.isoformat() if hasattr(value, "isoformat")
                                               else value)
    return data


def _build_index(simulator, django_db_blocker, module=index) -> None:
    """Rebuild an index (`module`: the client index, or another area's) from the simulator,
    committed."""
    with django_db_blocker.unblock(), override_settings(OMTRADER_URL=simulator.url):
        reset_omtrader()
        module.rebuild(get_omtrader())
        reset_omtrader()


@pytest.fixture(scope="session")
def built_index(django_db_setup, django_db_blocker, simulator):
    _build_index(simulator, django_db_blocker)
    yield
    with django_db_blocker.unblock():
        ClientIndex.objects.all().delete()
        IndexState.objects.all().delete()


@pytest.fixture(autouse=True)
def upstream(built_index, pointed_at_simulator, settings):
    settings.CLIENT_INDEX_MAX_AGE = 0
    return pointed_at_simulator


@pytest.fixture(scope="module")
def writes(simulator, built_index, django_db_blocker):
    """For modules that write upstream: the seeded state comes back when they are done (a
    reset re-dates every seeded record without OMTrader saying so: the index is rebuilt)."""
    yield simulator
    simulator.reset()
    _build_index(simulator, django_db_blocker)


@pytest.fixture
def make_client(omt):  # noqa: F811 - the shared fixture, asked for by name
    """A new client in OMTrader (unique names, so tests never trip over each other)."""

    def make(**fields):
        n = next(_names)
        data = {"first_name": "Testa", "family_name": f"Probe{n:05d}", "type": 0, "status": 1,
                "email": f"probe{n}@example.test", "country": "MT", **fields}
        return omt.create_client(data)

    return make


def read_all(simulator, listing: str) -> list:
    """Every record of one of OMTrader's lists ("list_clients"), read outside any test."""
    with override_settings(OMTRADER_URL=simulator.url):
        reset_omtrader()
        try:
            omt = get_omtrader()
            return list(omt.iter_all(getattr(omt, listing)))
        finally:
            reset_omtrader()


@pytest.fixture(scope="module")
def seeded(simulator):
    """Every client as OMTrader has them when the module starts (read-only modules)."""
    return read_all(simulator, "list_clients")


@pytest.fixture
def no_index(db):
    """As on a fresh install: the portal has never indexed a client."""
    ClientIndex.objects.all().delete()
    IndexState.objects.all().delete()

