"""Repeated refusals aggregated: one audit entry per (kind, address, minute) with a count."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from django.contrib.auth.signals import user_login_failed
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from crmportal.audit import tally
from crmportal.audit.log import first_broken_entry
from crmportal.audit.models import AuditEntry

T0 = datetime(2026, 1, 15, 9, 20, 5, tzinfo=UTC)


def refuse(address: str, now: datetime, source: str | None = None) -> bool:
    return tally.count("live.refused", source or address, what="refused live sockets",
                       action="live.refused", actor_username="(anonymous)",
                       entity_type="websocket", detail=f"/ws/live/ from {address}: not signed in",
                       ip_address=address, now=now)


def fail_sign_in(address: str, username: str = "bo") -> None:
    """What django.contrib.auth.authenticate() sends (without hashing a password 100 times)."""
    request = RequestFactory().post("/login/", REMOTE_ADDR=address)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def entries(action: str = "live.refused") -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_it_records_the_first_refusal_of_a_minute_at_once(db):
    assert refuse("10.0.0.1", T0)
    [entry] = entries()
    assert entry.ip_address == "10.0.0.1" and "not signed in" in entry.detail
    assert entry.outcome == "denied"


def test_it_records_a_hundred_failed_sign_ins_from_one_address_as_two_entries(backoffice):
    started = datetime.now(UTC)
    for _ in range(100):
        fail_sign_in("10.0.0.9")
    minutes = 1 if datetime.now(UTC).minute == started.minute else 2  # a minute may turn
    tally.flush(datetime.now(UTC) + timedelta(minutes=2))
    found = entries("auth.login_failed")
    assert 1 <= len(found) <= 2 * minutes
    firsts = [e for e in found if "more" not in e.detail]
    counted = len(firsts) + sum(int(e.detail.split()[0]) for e in found if "more" in e.detail)
    assert counted == 100
    assert all("'bo'" in e.detail for e in firsts)
    assert all("bo" not in e.detail and e.actor_username == "(anonymous)"
               for e in found if "more" in e.detail)
    assert all(e.ip_address == "10.0.0.9" for e in found)
    assert first_broken_entry() is None


def test_it_sums_the_rest_of_a_finished_minute_into_one_entry(db):
    for second in range(50):
        refuse("10.0.0.1", T0 + timedelta(seconds=second))
    assert len(entries()) == 1
    assert tally.flush(T0 + timedelta(minutes=1)) == 1
    first, rest = entries()
    assert rest.detail == ("49 more refused live sockets from 10.0.0.1 in the minute from "
                           "2026-01-15 09:20 UTC")
    assert rest.actor_username == "(anonymous)" and rest.ip_address == "10.0.0.1"
    assert tally.flush(T0 + timedelta(minutes=2)) == 0  # reported once


def test_it_keeps_two_addresses_apart(db):
    for _ in range(5):
        refuse("10.0.0.1", T0)
        refuse("10.0.0.2", T0)
    tally.flush(T0 + timedelta(minutes=1))
    details = [e.detail for e in entries()]
    assert len(details) == 4
    assert "4 more refused live sockets from 10.0.0.1 in the minute from 2026-01-15 09:20 UTC" \
        in details
    assert "4 more refused live sockets from 10.0.0.2 in the minute from 2026-01-15 09:20 UTC" \
        in details


def test_it_loses_nothing_across_minutes(db):
    sent = 0
    for minute in range(3):
        for second in range(0, 60, 3):
            refuse("10.0.0.1", T0.replace(second=0) + timedelta(minutes=minute, seconds=second))
            sent += 1
    # The next minute's first event flushed the ones before it; the last minute waits.
    tally.flush(T0 + timedelta(minutes=5))
    found = entries()
    assert len(found) == 6
    counted = sum(1 if "more" not in e.detail else int(e.detail.split()[0]) for e in found)
    assert counted == sent


def test_it_reports_an_event_counted_after_its_minute_was_flushed(db):
    refuse("10.0.0.1", T0)
    refuse("10.0.0.1", T0)
    tally.flush(T0 + timedelta(minutes=1))
    refuse("10.0.0.1", T0 + timedelta(seconds=30))  # a slow process, late
    tally.flush(T0 + timedelta(minutes=1))
    assert [e.detail.split(" from ")[0] for e in entries()[1:]] == [
        "1 more refused live sockets", "1 more refused live sockets"]


def test_it_flushes_finished_minutes_before_the_audit_page_lists(client, administrator):
    for _ in range(3):
        refuse("10.0.0.1", T0)
    client.force_login(administrator)
    body = client.get(reverse("audit-list-entries")).content.decode()
    assert "2 more refused live sockets from 10.0.0.1" in body


def test_it_flushes_finished_minutes_before_verifying_the_chain(db):
    for _ in range(3):
        refuse("10.0.0.1", T0)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "2 more" in entries()[-1].detail
    assert "3 rows verified" not in out.getvalue() and "2 rows verified" in out.getvalue()
