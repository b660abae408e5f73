"""Fixtures for the service layer: the shared simulator, a client pointed at it, counters."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import caches

from crmportal.omtrader.client import OMTraderClient, get_omtrader, reset_omtrader

DEFAULT_KNOBS = {
    "latency_ms": 0,
    "jitter_ms": 0,
    "error_rate": 0,
    "token_lifetime": 3600,
    "strict_paths": False,
}


@pytest.fixture
def sim(simulator) -> Iterator:
    """The session's simulator; knobs a test turns are turned back afterwards (data stays)."""
    yield simulator
    simulator.control(**DEFAULT_KNOBS)


@pytest.fixture
def point_at(settings) -> Callable[..., OMTraderClient]:
    """Point the Django settings at a simulator and return a fresh process-wide client."""

    def point(simulator, **overrides) -> OMTraderClient:
        settings.OMTRADER_URL = simulator.url
        settings.OMTRADER_WS_URL = simulator.ws_url
        settings.OMTRADER_USERNAME = simulator.username
        settings.OMTRADER_PASSWORD = simulator.password
        settings.OMTRADER_CONNECT_TIMEOUT = 1.0
        settings.OMTRADER_READ_TIMEOUT = 5.0
        settings.OMTRADER_RETRIES = 2
        settings.OMTRADER_RETRY_BACKOFF = 0.05
        settings.OMTRADER_PATHS = {}
        for name, value in overrides.items():
            setattr(settings, f"OMTRADER_{name.upper()}", value)
        caches["default"].clear()
        reset_omtrader()
        return get_omtrader()

    yield point
    reset_omtrader()
    caches["default"].clear()


@pytest.fixture
def omt(sim, point_at) -> OMTraderClient:
    return point_at(sim)


def requests_to(counters: dict, method: str, pattern: str) -> int:
    """How many requests the simulator counted for one route, e.g. ("GET", "/x/{id}")."""
    return counters["requests"].get(f"{method} {pattern}", 0)


def delta(before: dict, after: dict, method: str, pattern: str) -> int:
    return requests_to(after, method, pattern) - requests_to(before, method, pattern)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
