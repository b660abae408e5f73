"""The relay against the real simulator: events in, rendered rows out, through upsets.

Each test runs its own Relay in the test's event loop on a fresh channel layer and listens
where sockets listen (a Tap on the layer). The simulator is shared: tests pause its market
when they need quiet, and the fixture restores the knobs.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from channels.db import database_sync_to_async

from crmportal.audit import tally
from crmportal.audit.models import AuditEntry
from crmportal.live import relay as relay_module
from crmportal.live.publish import ALL, group_audience, unpack
from crmportal.live.relay import Relay
from crmportal.live.watches import Watch
from tests.live.conftest import GONE, Tap, profits, rows, running, wait_for

BOARD = Watch("board", None).to_message()


def rest(simulator, path: str, **params) -> list[dict]:
    token = simulator.login()["access_token"]
    response = requests.get(simulator.url + "/api/v1/manager/" + path,
                            params={"page": -1, **params},
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return response.json()["data"]["records"]


def open_positions(simulator) -> dict[int, Decimal]:
    return {p["id"]: Decimal(str(p["profit"])) for p in rest(simulator, "positions")}


def updates(tap: Tap) -> list[dict]:
    return [m for m in tap.messages if m["type"] == "live.update"]


def shocked_symbol(simulator) -> tuple[str, set[int]]:
    """The symbol with the most open positions, and their ids."""
    positions = rest(simulator, "positions")
    symbols = {s["id"]: s["symbol"] for s in rest(simulator, "symbols")}
    counts: dict[int, set[int]] = {}
    for p in positions:
        counts.setdefault(p["symbol_id"], set()).add(p["id"])
    symbol_id = max(counts, key=lambda s: len(counts[s]))
    return symbols[symbol_id], counts[symbol_id]


async def test_it_turns_upstream_events_into_rows_for_each_group(omtrader, layer):
    omtrader.control(market_paused=True)
    relay = Relay(layer=layer)
    async with running(relay):
        tap = await Tap(layer, [ALL, group_audience(6)]).start()
        snapshot = await tap.snapshot(BOARD)
        shown = rows(snapshot["html"])
        assert set(shown) == set(open_positions(omtrader))
        assert 'id="live-risk-all"' in snapshot["html"] and 'id="live-exposure-all"' in snapshot[
            "html"]

        symbol, ids = shocked_symbol(omtrader)
        omtrader.shock(symbol, 3)
        truth = open_positions(omtrader)
        moved = {pid for pid in ids if pid in truth}

        in_group_6 = [pid for pid, (_, group) in rows(snapshot["html"]).items() if group == "6"]

        def arrived() -> bool:
            # Each stream gets its own batch: wait for the rows on both, not on the first.
            seen: dict[str, dict[int, Decimal]] = {ALL: {}, group_audience(6): {}}
            for message in updates(tap):
                for _key, html in unpack(message):
                    seen[message["audience"]].update(
                        {pid: Decimal(pl) for pid, pl in profits(html).items()})
            return (all(seen[ALL].get(pid) == truth[pid] for pid in moved)
                    and all(seen[group_audience(6)].get(pid) == truth[pid]
                            for pid in moved & set(in_group_6)))

        await tap.until(lambda m: arrived(), what=f"the new P/L of {len(moved)} {symbol} rows")
        streams = {m["audience"] for m in updates(tap)}
        assert ALL in streams
        if set(in_group_6) & moved:
            assert group_audience(6) in streams
        for message in updates(tap):
            if message["audience"] == group_audience(6):
                assert {g for _, g in rows(message["html"]).values()} <= {"6"}
                assert set(profits(message["html"])) <= set(in_group_6) | set(
                    rows(message["html"]))

        # Those rows went out whole; now every socket has them, and only moving cells travel.
        already = len(tap.messages)
        omtrader.shock(symbol, -2)
        truth = open_positions(omtrader)
        moved = {pid for pid in ids if pid in truth}
        await tap.until(lambda m: arrived(), what="the P/L after a second move")
        keys = {key for m in tap.messages[already:] if m["type"] == "live.update"
                for key, _ in unpack(m)}
        assert {f"cells-{pid}" for pid in moved} <= keys
        assert not {f"pos-{pid}" for pid in moved} & keys


async def test_it_reconnects_resubscribes_and_reconciles_what_it_missed(omtrader, layer):
    omtrader.control(market_paused=True)
    relay = Relay(layer=layer)
    async with running(relay):
        tap = await Tap(layer, [ALL]).start()
        await tap.snapshot(BOARD)
        before = set(relay.state.positions)

        # Cut the stream and keep it cut (REST, and so the session check, fails) while the
        # market trades: the relay cannot hear any of it.
        omtrader.control(error_rate=1.0)
        omtrader.drop_ws()
        await wait_for(lambda: relay.status.state == "stale", what="the relay to notice")
        omtrader.control(event_rate=40)
        await asyncio.to_thread(omtrader.step, 30)
        omtrader.control(error_rate=0.0, event_rate=3)
        truth = open_positions(omtrader)
        assert truth.keys() != before  # something opened or closed while it was away

        await wait_for(lambda: relay.counters.reconciles >= 2, timeout=30,
                       what="the relay to reconnect and reconcile")
        assert relay.stream.counters.connects >= 2
        assert relay.status.state == "live"
        await wait_for(lambda: set(relay.state.positions) == set(truth), what="the same positions")
        closed = before - set(truth)
        if closed:
            await tap.until(lambda m: m["type"] == "live.update" and any(
                int(pid) in closed for pid in GONE.findall(m["html"])),
                what="the rows of positions closed while it was away to go")
        # Subscribed again: the stream's events flow once more.
        omtrader.control(market_paused=False)
        events = relay.counters.events
        await wait_for(lambda: relay.counters.events > events + 50, what="events after it")


async def test_it_logs_in_again_when_its_token_has_expired(omtrader, layer):
    omtrader.control(token_lifetime=2)
    relay = Relay(layer=layer)
    async with running(relay):
        await wait_for(lambda: relay.ready, what="the first reconcile")
        logins = relay.stream.counters.logins
        session = relay.stream.session
        await wait_for(lambda: session.expires_at < datetime.now(UTC), what="the token to expire")
        omtrader.drop_ws()  # the open socket outlived its token; a new one needs a new login
        await wait_for(lambda: relay.stream.counters.connects >= 2 and relay.stream.connected,
                       timeout=20, what="the relay to reconnect")
        assert relay.stream.counters.logins > logins
        assert relay.stream.session is not session
        events = relay.counters.events
        await wait_for(lambda: relay.counters.events > events, what="events on the new socket")


async def test_it_skips_bad_frames_and_keeps_relaying(omtrader, layer):
    omtrader.control(market_paused=True)  # no newer summary replaces the bad one unread
    relay = Relay(layer=layer)
    async with running(relay):
        await wait_for(lambda: relay.ready, what="the first reconcile")
        group = next(iter(relay.state.account_group.values()))
        bad_text = [
            "this is not JSON",
            '{"no": "type"}',
            '{"type": "mystery_event", "data": {}}',
            '{"type": "positions_update", "data": {"id": "not a number"}}',
            '{"type": "orders_place", "data": [1, 2]}',
            '{"type": "account_summary", "data": {"group_id": 6}}',
        ]
        for raw in bad_text:
            omtrader.ws_send(group, raw)
        for raw in ("1,2,3", "s,abc,1,2", "s,1,2"):
            omtrader.ws_send(group, raw, binary=True)
        # A summary whose money does not parse is caught when it is read, not at the door.
        account = next(a for a, g in relay.state.account_group.items() if g == group)
        omtrader.ws_send(group, json.dumps({"type": "account_summary", "data": {
            "id": account, "group_id": group, "balance": "lots"}}))
        await wait_for(lambda: relay.stream.counters.bad_frames >= len(bad_text) + 3,
                       what="the bad frames to be counted")
        relay.state.settle()
        assert relay.state.bad_payloads >= 1
        omtrader.control(market_paused=False)
        events = relay.counters.events
        await wait_for(lambda: relay.counters.events > events + 20, what="good events after them")
        assert relay.stream.connected and relay.stream.counters.connects == 1


async def test_it_makes_the_same_rows_from_rest_polling(omtrader, layer, settings):
    """LIVE_SOURCE=poll: diffs of REST reads become the same events, hence the same rows."""
    settings.LIVE_POLL_INTERVAL = 0.3
    omtrader.control(market_paused=True)
    from channels.layers import InMemoryChannelLayer

    poll_layer = InMemoryChannelLayer(capacity=10_000)
    stream_relay, poll_relay = Relay(layer=layer), Relay(layer=poll_layer, source="poll")
    async with running(stream_relay), running(poll_relay):
        stream_tap = await Tap(layer, [ALL]).start()
        poll_tap = await Tap(poll_layer, [ALL]).start()
        stream_snapshot = await stream_tap.snapshot(BOARD)
        poll_snapshot = await poll_tap.snapshot(BOARD)
        assert rows(poll_snapshot["html"]) == rows(stream_snapshot["html"])

        symbol, ids = shocked_symbol(omtrader)
        omtrader.shock(symbol, -4)
        omtrader.control(event_rate=30)
        await asyncio.to_thread(omtrader.step, 10)  # trades: positions open and close, deals
        truth = open_positions(omtrader)

        def latest(tap: Tap) -> dict[int, str]:
            state: dict[int, str] = {}
            for message in tap.messages:
                if message["type"] == "live.snapshot":
                    html = "".join(message["parts"])
                    state = {pid: pl for pid, (pl, _) in rows(html).items()}
                elif message["type"] == "live.update":
                    for pid in GONE.findall(message["html"]):
                        state.pop(int(pid), None)
                    state.update(profits(message["html"]))
            return state

        expected = {pid: value.normalize() for pid, value in truth.items()}

        def shown(tap: Tap) -> dict[int, Decimal]:
            return {pid: Decimal(pl).normalize() for pid, pl in latest(tap).items()}

        for name, tap in (("stream", stream_tap), ("poll", poll_tap)):
            try:
                await tap.until(lambda m, tap=tap: shown(tap) == expected, timeout=10,
                                what=f"{name}: every open position with its P/L")
            except AssertionError:
                have = shown(tap)
                wrong = {p: (have.get(p), v) for p, v in expected.items() if have.get(p) != v}
                extra = set(have) - set(expected)
                raise AssertionError(f"{name}: {len(wrong)} wrong {list(wrong.items())[:5]}, "
                                     f"{len(extra)} extra") from None
        deals = [m for m in poll_tap.messages if m["type"] == "live.update"
                 and re.search(r"Deal (in|out)", m["html"])]
        assert deals, "the poll source reported no new deal"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_it_records_the_refusals_counted_in_a_finished_minute(omtrader, layer,
                                                                    monkeypatch):
    monkeypatch.setattr(relay_module, "TALLY_EVERY", 0.2)
    minute = datetime(2026, 1, 15, 9, 20, tzinfo=UTC)
    for _ in range(3):
        await database_sync_to_async(tally.count)(
            "live.refused", "10.0.0.1", what="refused live sockets", action="live.refused",
            detail="/ws/live/ from 10.0.0.1: not signed in", now=minute)

    def summaries() -> int:
        return AuditEntry.objects.filter(detail__startswith="2 more refused").count()

    async with running(Relay(layer=layer)):
        for _ in range(50):
            if await database_sync_to_async(summaries)():
                break
            await asyncio.sleep(0.1)
    assert await database_sync_to_async(summaries)() == 1
