"""The money rules in one place: reading an amount, when a second member must approve, the
KYC gate, and what an operation does to the account's figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

from crmportal.omtrader.entities import TradingAccount

TYPES = {"deposit": "Deposit", "withdrawal": "Withdrawal", "credit_in": "Credit in",
         "credit_out": "Credit out"}
OUTGOING = ("withdrawal", "credit_out")
MAX_AMOUNT = Decimal("1e12")  # far above any real transfer; keeps the number sane
# Digits with at most one decimal point; thousands separators (commas, spaces) are allowed
# between groups of three.
_AMOUNT = re.compile(r"^\d{1,3}([, ]?\d{3})*(\.\d+)?$|^\d+(\.\d+)?$|^\.\d+$")


class BadAmount(ValueError):
    pass


def parse_amount(raw: str, digits: int) -> Decimal:
    """A positive amount with at most `digits` decimals, or BadAmount saying what is wrong."""
    text = (raw or "").strip()
    if not text:
        raise BadAmount("Enter an amount.")
    if text.startswith("-"):
        raise BadAmount("Enter an amount above 0: the operation's type says which way it goes.")
    if not _AMOUNT.match(text):
        raise BadAmount(f"“{text[:30]}” is not an amount: use digits and a decimal point, "
                        "like 1250.50.")
    try:
        value = Decimal(text.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise BadAmount(f"“{text[:30]}” is not an amount.") from None
    if not value.is_finite():
        raise BadAmount("Enter a finite amount.")
    if value <= 0:
        raise BadAmount("Enter an amount above 0.")
    if value > MAX_AMOUNT:
        raise BadAmount(f"Enter an amount of at most {MAX_AMOUNT:,.0f}.")
    if -value.as_tuple().exponent > digits:
        raise BadAmount(f"This account's currency has {digits} decimal"
                        f"{'s' if digits != 1 else ''}: round the amount to {digits}.")
    return value


def threshold_for(currency: str) -> Decimal:
    table = settings.MONEY_APPROVAL_THRESHOLD
    return Decimal(table.get(currency.upper(), table.get("*", "10000")))


def needs_approval(kind: str, amount: Decimal, currency: str) -> bool:
    """Every credit operation, and any operation above the currency's threshold."""
    return kind.startswith("credit") or amount > threshold_for(currency)


def kyc_required(kind: str) -> bool:
    return kind in settings.MONEY_KYC_REQUIRED


@dataclass(frozen=True)
class Figures:
    balance: Decimal | None
    credit: Decimal | None
    equity: Decimal | None
    margin_free: Decimal | None


def now_and_after(account: TradingAccount, kind: str, amount: Decimal) -> tuple[Figures, Figures]:
    """The account's balance, credit, equity and free margin now and once the operation is
    booked (a deposit or withdrawal moves the balance, a credit the credit; both move equity
    and free margin)."""
    now = Figures(account.balance, account.credit, account.equity, account.margin_free)
    signed = -amount if kind in OUTGOING else amount

    def plus(value):
        return None if value is None else value + signed

    credit = kind.startswith("credit")
    after = Figures(now.balance if credit else plus(now.balance),
                    plus(now.credit) if credit else now.credit,
                    plus(now.equity), plus(now.margin_free))
    return now, after


def stop_reason(account: TradingAccount, kind: str, amount: Decimal) -> str:
    """Why OMTrader would refuse this now (checked before anything is sent), or ""."""
    digits = account.currency_digits if account.currency_digits is not None else 2
    if kind == "withdrawal" and account.margin_free is not None and amount > account.margin_free:
        return (f"A withdrawal of {amount:,.{digits}f} {account.currency} is above the free "
                f"margin of {account.margin_free:,.{digits}f} {account.currency}: at most that "
                "can be withdrawn now.")
    if kind == "credit_out" and account.credit is not None and amount > account.credit:
        return (f"A credit out of {amount:,.{digits}f} {account.currency} is above the "
                f"account's credit of {account.credit:,.{digits}f} {account.currency}.")
    return ""
