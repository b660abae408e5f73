"""CSV exports: the filtered set, formula-safe, permission and audit; 100,000+ deals stream
with bounded memory."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.omtrader.client import reset_omtrader
from crmportal.staff.roles import BACK_OFFICE
from tests.support.simulator import SimulatorProcess
from tests.trading.helpers import every_row

EXTRA_DEALS = 100_000


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_is_the_filtered_list_row_for_row(client, as_user):
    as_user("backoffice")
    query = "group=7&side=0&sort=-profit"
    shown = every_row(client, "trading-list-position-history", query)
    rows = _csv(client.get(reverse("trading-export-list", args=["position-history"]) + "?"
                           + query))
    assert rows[0][:3] == ["Id", "Account", "Client"]
    assert [int(r[0]) for r in rows[1:]] == [p.id for p in shown]
    entry = AuditEntry.objects.get(action="trading.export")
    assert entry.after["list"] == "position-history" and entry.after["filters"]["group"] == "7"


def test_a_group_limited_members_export_holds_only_their_groups(client, make_staff, wire):
    client.force_login(make_staff("lim-export", BACK_OFFICE, group_ids=[6]))
    in_group = {a["id"] for a in wire("accounts") if a["group_id"] == 6}
    outside = min(a["id"] for a in wire("accounts") if a["id"] not in in_group)
    for query in ("", "group=7", f"account={outside}"):
        rows = _csv(client.get(reverse("trading-export-list", args=["deals"]) + "?" + query))
        shown = every_row(client, "trading-list-deals", query)
        assert [int(r[0]) for r in rows[1:]] == [d.id for d in shown]
        assert {int(r[1]) for r in rows[1:]} <= in_group
        assert bool(rows[1:]) == (query == "")  # other groups' accounts match nothing


def test_export_needs_the_export_permission(client, as_user):
    as_user("supervisor")
    assert client.get(reverse("trading-export-list", args=["deals"])).status_code == 403
    assert not AuditEntry.objects.filter(action="trading.export").exists()


def test_an_unknown_list_is_missing(client, as_user):
    as_user("administrator")
    assert client.get(reverse("trading-export-list", args=["secrets"])).status_code == 404


def test_cells_that_would_be_formulas_are_made_text(client, as_user, omt, wire):
    account = wire("accounts")[0]["id"]
    omt.transfer_money(account, "deposit", "1.00", comment="=HYPERLINK(\"http://x\")")
    as_user("backoffice")
    rows = _csv(client.get(reverse("trading-export-list", args=["deals"])
                           + f"?account={account}&sort=-id"))
    comment = rows[0].index("Comment")
    assert rows[1][comment] == "'=HYPERLINK(\"http://x\")"
    profits = [r[rows[0].index("P/L")] for r in rows[1:]]
    assert all(not p.startswith("'") for p in profits)  # negative numbers stay numbers


@pytest.fixture(scope="module")
def big_history():
    with SimulatorProcess(["--extra-deals", str(EXTRA_DEALS), "--market-paused"]) as sim:
        yield sim


def test_100000_deals_stream_with_bounded_memory(client, as_user, big_history, settings):
    settings.OMTRADER_URL = big_history.url
    caches["default"].clear()
    reset_omtrader()
    as_user("administrator")
    with override_settings(OMTRADER_URL=big_history.url):
        response = client.get(reverse("trading-export-list", args=["deals"]))
        chunks = response.streaming_content
        tracemalloc.start()
        rows = size = early = 0
        started = time.monotonic()
        try:
            for chunk in chunks:
                rows += chunk.count(b"\n")
                size += len(chunk)
                if not early and rows >= EXTRA_DEALS // 5:
                    early = tracemalloc.get_traced_memory()[1]
                    tracemalloc.reset_peak()
            _, late = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        seconds = time.monotonic() - started
    reset_omtrader()
    assert rows > EXTRA_DEALS
    # One upstream page (1,000 deals) and one CSV chunk at a time, never the whole file: the
    # peak over the last 80 % of the rows is no higher than over the first 20 %.
    assert late < early * 1.25 + 1_000_000, (early, late)
    assert max(early, late) < 32_000_000
    print(f"{rows} rows in {seconds:.0f} s, {size / 1e6:.1f} MB of CSV, "
          f"peak {early / 1e6:.1f} MB then {late / 1e6:.1f} MB")
