"""Groups, commissions and symbols against the real simulator: the settings point at it and
each test starts with an empty cache. Modules that write take `writes`: the seeded state
comes back when they are done."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def upstream(pointed_at_simulator):
    return pointed_at_simulator


@pytest.fixture(scope="module")
def writes(simulator):
    yield simulator
    simulator.reset()
