"""Commission codes and tiers: how a tier reads, which tier a volume falls in, the fee.

OMTrader documents none of the commission codes (docs/omtrader-api.md §6.4, §7, §11.4). The
ones below are the simulator's (simulator/README.md, "Commission codes"), which the portal takes
as the meaning until OMTrader's own are known; any other code is shown as its number, with a
note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from crmportal.omtrader.entities import CommissionTier

PER_LOT, PER_TRADE, PERCENT = 0, 1, 2
TIER_TYPES = {PER_LOT: "per lot", PER_TRADE: "per trade", PERCENT: "% of notional"}
MODE_ENTRY = {0: "On entry and exit", 1: "On entry only", 2: "On exit only"}
MODE_ACTION = {0: "Buy and sell", 1: "Buy only", 2: "Sell only"}
UNKNOWN = "code {code} (its meaning is not documented)"
MAX_TIERS = 50


def label(table: dict[int, str], code: int | None) -> str:
    if code is None:
        return ""
    return table.get(code, UNKNOWN.format(code=code))


def _number(value: Decimal | None) -> str:
    """1 -> "1", 0.1 -> "0.10", 10000 -> "10,000": money-like, without trailing noise."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    places = max(2, -value.normalize().as_tuple().exponent)
    return f"{value:,.{places}f}"


def bounded(value: Decimal | None) -> bool:
    """A range end or min/max of 0 (or none) means no bound (the simulator's convention)."""
    return bool(value)


def describe(tier: CommissionTier, account_currency: str = "") -> str:
    """"0.10 USD per lot for 0–10,000 lots, min 1, max 100"."""
    currency = tier.currency or account_currency or "account currency"
    if tier.type == PERCENT:
        fee = f"{_number(tier.value)} % of notional"
    elif tier.type in TIER_TYPES:
        fee = f"{_number(tier.value)} {currency} {TIER_TYPES[tier.type]}"
    else:
        fee = f"{_number(tier.value)} ({UNKNOWN.format(code=tier.type)})"
    low = _number(tier.range_from or Decimal(0))
    if bounded(tier.range_to):
        span = f"for {low}–{_number(tier.range_to)} lots"
    else:
        span = f"from {low} lots up"
    parts = [f"{fee} {span}"]
    if bounded(tier.min):
        parts.append(f"min {_number(tier.min)}")
    if bounded(tier.max):
        parts.append(f"max {_number(tier.max)}")
    return ", ".join(parts)


def tier_for(tiers: Sequence[CommissionTier], volume: Decimal) -> tuple[int, CommissionTier] | None:
    """The first tier whose range holds the volume (from inclusive, to exclusive), and its
    position in the list."""
    for index, tier in enumerate(tiers):
        low = tier.range_from or Decimal(0)
        if volume >= low and (not bounded(tier.range_to) or volume < tier.range_to):
            return index, tier
    return None


@dataclass(frozen=True)
class Fee:
    index: int
    tier: CommissionTier
    raw: Decimal  # before min / max
    amount: Decimal
    clamped: str  # "", "min" or "max"
    currency: str


def fee(tiers: Sequence[CommissionTier], volume: Decimal,
        notional: Decimal | None = None) -> Fee | None:
    """The fee for one trade of `volume` lots (and `notional`, for percentage tiers); None when
    no tier holds the volume. Raises ValueError when a percentage tier needs the notional."""
    found = tier_for(tiers, volume)
    if found is None:
        return None
    index, tier = found
    value = tier.value or Decimal(0)
    if tier.type == PER_TRADE:
        raw = value
    elif tier.type == PERCENT:
        if notional is None:
            raise ValueError("This tier charges a percentage of the notional: enter the notional.")
        raw = notional * value / 100
    elif tier.type == PER_LOT:
        raw = value * volume
    else:
        raise ValueError(f"Tier {index + 1} has fee type {UNKNOWN.format(code=tier.type)}, so "
                         "its fee cannot be worked out.")
    amount, clamped = raw, ""
    if bounded(tier.min) and amount < tier.min:
        amount, clamped = tier.min, "min"
    if bounded(tier.max) and amount > tier.max:
        amount, clamped = tier.max, "max"
    cents = Decimal("0.01")
    return Fee(index, tier, raw.quantize(cents, ROUND_HALF_UP),
               Decimal(amount).quantize(cents, ROUND_HALF_UP), clamped, tier.currency)
