"""Money is shown with its currency's digits, everywhere."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from crmportal.formatting import money


@pytest.mark.parametrize("value,digits,shown", [
    (Decimal("1000.0"), 2, "1,000.00"), (Decimal("0.0"), 2, "0.00"),
    (Decimal("-12.5"), 2, "-12.50"), (Decimal("1234567.891"), 3, "1,234,567.891"),
    (Decimal("5"), 0, "5"), (Decimal("5"), None, "5.00"),
    (None, 2, ""), ("not a number", 2, "not a number"),
])
def test_it_formats_money_with_the_currencys_digits(value, digits, shown):
    assert money(value, digits) == shown


def test_it_writes_a_moment_as_the_date_filter_does_in_the_members_zone():
    moment = datetime(2026, 4, 18, 23, 12, 10, tzinfo=UTC)
    page = Template('{{ t|when }}|{{ t|date:"Y-m-d H:i" }}|{{ t|when:"second" }}|'
                    '{{ t|date:"Y-m-d H:i:s" }}|{{ d|when }}|[{{ none|when }}]')
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        shown = page.render(Context({"t": moment, "d": date(2026, 4, 18), "none": None}))
    minute, by_date, second, by_date_s, day, missing = shown.split("|")
    assert minute == by_date == "2026-04-19 01:12"
    assert second == by_date_s == "2026-04-19 01:12:10"
    assert (day, missing) == ("2026-04-18", "[]")


@pytest.mark.parametrize("value,digits,shown", [
    (Decimal("-0.001"), 2, "0.00"), (Decimal("-0.004"), 2, "0.00"), (Decimal("-0"), 2, "0.00"),
    (Decimal("-0.4"), 0, "0"), (-0.0, 2, "0.00"), (Decimal("-0.006"), 2, "-0.01"),
    (Decimal("-0.0001"), 3, "0.000"),
])
def test_a_tiny_negative_shows_no_minus_sign(value, digits, shown):
    assert money(value, digits) == shown
