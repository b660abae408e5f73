"""Accounts against the real simulator. The client fixtures (settings pointed at the
simulator, the client index, knobs) come from tests/clients; the account index is built once
per session the same way and rebuilt after modules that write."""

from __future__ import annotations

import pytest

from crmportal.accounts import index
from crmportal.accounts.models import AccountIndex, AccountIndexState
from tests.clients.conftest import (  # noqa: F401 - fixtures shared with the clients tests
    _build_index,
    built_index,
    make_client,
    read_all,
    upstream,
)

GROUP = 6  # "Live Standard": the scope of limited members in these tests


@pytest.fixture(scope="session")
def built_accounts(built_index, django_db_blocker, simulator):  # noqa: F811
    _build_index(simulator, django_db_blocker, index)
    yield
    with django_db_blocker.unblock():
        AccountIndex.objects.all().delete()
        AccountIndexState.objects.all().delete()


@pytest.fixture(autouse=True)
def account_index(built_accounts, upstream, settings):  # noqa: F811
    settings.ACCOUNT_INDEX_MAX_AGE = 0
    return upstream


@pytest.fixture(scope="module")
def writes(simulator, built_accounts, django_db_blocker):
    """Modules that write upstream leave the seeded state behind them."""
    yield simulator
    simulator.reset()
    _build_index(simulator, django_db_blocker)
    _build_index(simulator, django_db_blocker, index)


@pytest.fixture(scope="module")
def seeded_accounts(simulator):
    return sorted(read_all(simulator, "list_accounts"), key=lambda a: a.id)


@pytest.fixture(scope="module")
def cases(seeded_accounts) -> dict:
    """An account inside GROUP, one outside it, with open positions or not."""
    inside = next(a for a in seeded_accounts if a.group_id == GROUP)
    outside = next(a for a in seeded_accounts if a.group_id not in (GROUP, None))
    return {"inside": inside, "outside": outside}
