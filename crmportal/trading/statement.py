"""An account statement: opening balance, every deal and money movement of the period in time
order with the running balance, the closing balance, the period's sums and the positions
still open at its end.

Balances are worked back from the account's balance now: every deal carries what it did to
the balance (a balance deal its signed amount; a trade deal its P/L, commission, swap and fee;
a credit deal nothing). So the opening balance is today's balance less every deal since the
period began, and for a period that ends now the closing balance is OMTrader's balance.
One pass over the account's deals since the start (oldest first), with the account and its
positions read alongside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from crmportal.omtrader.client import ITER_LIMIT
from crmportal.omtrader.concurrent import gather
from crmportal.omtrader.entities import Deal, Position, TradingAccount

BALANCE, CREDIT = 2, 3  # ModelSideType codes of money movements


def effect(deal: Deal) -> Decimal:
    """What the deal did to the balance."""
    side = deal.side.code if deal.side else None
    if side == CREDIT:
        return Decimal(0)
    if side == BALANCE:
        return deal.profit or Decimal(0)
    return sum((deal.profit or 0, deal.commission or 0, deal.swap or 0, deal.fee or 0),
               Decimal(0))


def kind_of(deal: Deal) -> str:
    side = deal.side.code if deal.side else None
    amount = deal.profit or 0
    if side == BALANCE:
        return "Deposit" if amount >= 0 else "Withdrawal"
    if side == CREDIT:
        return "Credit in" if amount >= 0 else "Credit out"
    return "Deal"


@dataclass
class Line:
    deal: Deal
    kind: str
    amount: Decimal
    balance: Decimal


@dataclass
class Statement:
    account: TradingAccount
    start: datetime
    end: datetime
    ends_now: bool
    opening: Decimal = Decimal(0)
    closing: Decimal = Decimal(0)
    realized: Decimal = Decimal(0)
    commissions: Decimal = Decimal(0)
    swaps: Decimal = Decimal(0)
    deposits: Decimal = Decimal(0)
    withdrawals: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    lines: list[Line] = field(default_factory=list)
    open_positions: list[Position] = field(default_factory=list)

    @property
    def digits(self) -> int | None:
        return self.account.currency_digits


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """Whole days in the member's time zone: from the start of `start` to the end of `end`."""
    first = timezone.make_aware(datetime.combine(start, time()))
    last = timezone.make_aware(datetime.combine(end + timedelta(days=1), time()))
    return first, last


def build(omt, account_id: int, start: date, end: date, *, check=None) -> Statement:
    """`check(account)` runs as soon as the account is read (the scope check: it raises)."""
    first, last = period(start, end)
    now = timezone.now()
    ends_now = last >= now
    calls = {
        "account": lambda: omt.get_account(account_id),
        "deals": lambda: list(omt.iter_all(
            omt.list_deals, limit=ITER_LIMIT, account_id=account_id, date_from=first,
            sort_by="created_at", direction="ASC")),
        "open": lambda: list(omt.iter_all(omt.list_positions, account_id=account_id)),
    }
    if not ends_now:
        calls["closed_after"] = lambda: list(omt.iter_all(
            omt.position_history, account_id=account_id, date_from=last))
    got = gather(**calls)
    account = got["account"]
    if check is not None:
        check(account)
    statement = Statement(account, first, last, ends_now)
    after = Decimal(0)
    within = []
    for deal in got["deals"]:
        if deal.created_at is None or deal.created_at < first:
            continue
        if deal.created_at >= last:
            after += effect(deal)
        else:
            within.append(deal)
    within.sort(key=lambda d: (d.created_at, d.id))
    total = sum((effect(d) for d in within), Decimal(0))
    statement.closing = (account.balance or Decimal(0)) - after
    statement.opening = statement.closing - total
    _lines(statement, within)
    held = got["open"] + got.get("closed_after", [])
    statement.open_positions = sorted(
        (p for p in held if p.created_at is not None and p.created_at < last),
        key=lambda p: p.id)
    return statement


def _lines(statement: Statement, deals: list[Deal]) -> None:
    balance = statement.opening
    for deal in deals:
        amount = effect(deal)
        balance += amount
        kind = kind_of(deal)
        statement.lines.append(Line(deal, kind, amount, balance))
        if kind == "Deposit":
            statement.deposits += amount
        elif kind == "Withdrawal":
            statement.withdrawals += -amount
        elif kind.startswith("Credit"):
            statement.credit += deal.profit or 0
        else:
            statement.realized += deal.profit or 0
            statement.commissions += deal.commission or 0
            statement.swaps += deal.swap or 0
