"""Trading pages against the real simulator, with its market paused so that the records a
test reads from OMTrader itself are the ones the portal lists."""

from __future__ import annotations

import pytest
import requests

ROLES_WITH_VIEW = ("backoffice", "compliance", "supervisor", "administrator")


@pytest.fixture(scope="module")
def paused(simulator):
    simulator.control(market_paused=True, latency_ms=0, jitter_ms=0, error_rate=0,
                      strict_paths=False)
    yield simulator
    simulator.control(market_paused=False)


@pytest.fixture(autouse=True)
def upstream(paused, pointed_at_simulator):
    """The shared settings fixture, with the market paused for the module."""
    return paused


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
