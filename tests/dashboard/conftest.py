"""The dashboard against the real simulator, with the clients area's fixtures (the settings
point at the simulator, the client index is built once, knobs are turned back)."""

from __future__ import annotations

import re

import pytest

from crmportal.dashboard import shared
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
from tests.live.conftest import layer, omtrader  # noqa: F401 - fixtures, as above
from tests.live.test_relay import rest


@pytest.fixture(autouse=True)
def fresh_market():
    """Each test reads the market and OMTrader's health anew (shared by the process for
    seconds)."""
    shared.forget_all()
    yield
    shared.forget_all()


def panel_names(html: str) -> list[str]:
    """The panels a dashboard page draws, in order (their skeletons)."""
    return re.findall(r'<section id="panel-[^"]+" class="card dash-panel[^"]*"[^>]*'
                      r'data-panel="([^"]+)"', html)


def figure(html: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert found, f"no figure {name} in the panel"
    return int(found.group(1))


def toward_margin_call(simulator) -> tuple[str, float]:
    """A symbol and a small step that moves the account nearest its margin call closer to it
    (its biggest position loses): shocked step by step, some account crosses a line."""
    groups = {g["id"]: g for g in rest(simulator, "groups")}
    accounts = [a for a in rest(simulator, "accounts") if a["margin"] and a["margin_level"]]
    nearest = min((a for a in accounts
                   if a["margin_level"] > groups[a["group_id"]]["margin_call"]),
                  key=lambda a: a["margin_level"] / groups[a["group_id"]]["margin_call"])
    positions = rest(simulator, "positions", account_id=nearest["id"])
    biggest = max(positions, key=lambda p: p["volume_current"] * (p["contract_size"] or 1))
    symbols = {s["id"]: s["symbol"] for s in rest(simulator, "symbols")}
    return symbols[biggest["symbol_id"]], (-0.5 if biggest["side"] == 0 else 0.5)


def at_margin_call(simulator) -> int:
    """Accounts at margin call now, by OMTrader's own figures and the risk panel's lines."""
    groups = {g["id"]: g for g in rest(simulator, "groups")}
    count = 0
    for account in rest(simulator, "accounts"):
        group = groups.get(account["group_id"]) or {}
        level = account.get("margin_level")
        if account.get("margin") and level is not None:
            call = float(group.get("margin_call") or 100)
            stop = float(group.get("margin_stop_out") or 0)
            count += stop < float(level) <= call
    return count
