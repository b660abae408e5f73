"""Money is shown with its currency's digits, everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmportal.formatting import money


@pytest.mark.parametrize("value,digits,shown", [
    (Decimal("1000.0"), 2, "1,000.00"), (Decimal("0.0"), 2, "0.00"),
    (Decimal("-12.5"), 2, "-12.50"), (Decimal("1234567.891"), 3, "1,234,567.891"),
    (Decimal("5"), 0, "5"), (Decimal("5"), None, "5.00"),
    (None, 2, ""), ("not a number", 2, "not a number"),
])
def test_it_formats_money_with_the_currencys_digits(value, digits, shown):
    assert money(value, digits) == shown


@pytest.mark.parametrize("value,digits,shown", [
    (Decimal("-0.001"), 2, "0.00"), (Decimal("-0.004"), 2, "0.00"), (Decimal("-0"), 2, "0.00"),
    (Decimal("-0.4"), 0, "0"), (-0.0, 2, "0.00"), (Decimal("-0.006"), 2, "-0.01"),
    (Decimal("-0.0001"), 3, "0.000"),
])
def test_a_tiny_negative_shows_no_minus_sign(value, digits, shown):
    assert money(value, digits) == shown
