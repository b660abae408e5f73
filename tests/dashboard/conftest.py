"""The dashboard against the real simulator, with the clients area's fixtures (the settings
point at the simulator, the client index is built once, knobs are turned back)."""

from __future__ import annotations

import re

import pytest

from crmportal.dashboard import market
from tests.clients.conftest import (  # noqa: F401 - fixtures, registered by being imported
    KNOBS,
    built_index,
    knobs,
    make_client,
    omt,
    seeded,
    upstream,
    writes,
)


@pytest.fixture(autouse=True)
def fresh_market():
    """Each test reads the market anew (the picture is shared by the process for seconds)."""
    market.forget()
    yield
    market.forget()


def panel_names(html: str) -> list[str]:
    """The panels a dashboard page draws, in order (their skeletons)."""
    return re.findall(r'<section id="panel-[^"]+" class="card dash-panel[^"]*"[^>]*'
                      r'data-panel="([^"]+)"', html)


def figure(html: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert found, f"no figure {name} in the panel"
    return int(found.group(1))
