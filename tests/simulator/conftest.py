"""Fixtures for the simulator's own tests: one paused simulator process for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.simulator.helpers import Api
from tests.support.simulator import SimulatorProcess


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatorProcess]:
    process = SimulatorProcess(["--market-paused", "--seed", "42"])
    process.start()
    yield process
    process.stop()


@pytest.fixture
def api(sim: SimulatorProcess) -> Iterator[Api]:
    client = Api(sim.url, sim.login()["access_token"])
    yield client
    client.close()


START_KNOBS = {"latency_ms": 0, "jitter_ms": 0, "error_rate": 0, "error_status": 500,
               "token_lifetime": 3600, "event_rate": 3, "market_paused": True,
               "strict_paths": False}


@pytest.fixture
def fresh(sim: SimulatorProcess) -> Iterator[SimulatorProcess]:
    """The seeded state before the test, and the start-up knobs again after it."""
    sim.reset()
    yield sim
    sim.control(**START_KNOBS)
