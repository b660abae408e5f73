"""What the service layer once found wrong in the simulator, kept as regression checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.timeout(60)


def test_it_finds_no_history_dated_in_the_future(omt, simulator):
    """Ahead of the simulator's own clock, which market steps (other tests) move ahead of the
    wall clock."""
    now = datetime.fromisoformat(simulator.counters()["sim_time"])
    soon = max(now, datetime.now(UTC)) + timedelta(minutes=5)
    newest = [
        omt.list_deals(limit=1, sort_by="created_at", direction="DESC").items[0].created_at,
        omt.order_history(limit=1, sort_by="time_done", direction="DESC").items[0].time_done,
        omt.position_history(limit=1, sort_by="updated_at", direction="DESC").items[0].updated_at,
    ]
    assert all(stamp <= soon for stamp in newest), newest
