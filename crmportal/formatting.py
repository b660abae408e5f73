"""Template filters every page uses (registered as builtins in settings): money with its
currency's digits."""

from __future__ import annotations

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
