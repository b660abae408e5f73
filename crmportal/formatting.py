"""Template filters every page uses (registered as builtins in settings): money with its
currency's digits, and a moment in the member's time zone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

DEFAULT_DIGITS = 2


@register.filter
def money(value, digits=DEFAULT_DIGITS) -> str:
    """1234.5 -> "1,234.50" with the currency's digits; nothing for a missing value. A value
    that rounds to zero shows without a sign ("0.00", never "-0.00")."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
        places = int(digits) if digits not in (None, "") else DEFAULT_DIGITS
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{number:z,.{max(0, min(places, 8))}f}"


@register.filter(expects_localtime=True)
def when(value, precision: str = "minute") -> str:
    """A moment in the member's time zone: "2026-04-18 14:12", with precision "second"
    "2026-04-18 14:12:10", a date alone "2026-04-18"; nothing for a missing value. What the
    `date` filter writes with "Y-m-d H:i", six times faster: tables write one per row."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if precision == "second" else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return ""
