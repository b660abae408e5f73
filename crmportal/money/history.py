"""Money movements as pages show them: OMTrader's transaction history of one account joined
with the portal's own records by the reference in the comment (who asked, who approved), and
the operations made through the portal across every account in the member's scope."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import QuerySet

from crmportal.money.models import MoneyOperation
from crmportal.omtrader.client import get_omtrader
from crmportal.omtrader.entities import TradingAccount, Transaction
from crmportal.staff.scope import group_scope

REFERENCE = re.compile(r"\[(CRM-[0-9a-f]{8})\]")
HISTORY_PAGE = 1000
MAX_ROWS = 20000  # one account's history beyond this is cut (and the page says so)
LABELS = dict(MoneyOperation.Type.choices)
# Where the money goes, for the sign of the amount shown.
OUTGOING = ("withdrawal", "credit_out")


@dataclass
class Movement:
    account_id: int
    type: str
    amount: Decimal | None
    created_at: datetime | None
    comment: str = ""
    balance_after: Decimal | None = None
    transaction_id: int | None = None
    reference: str = ""
    requested_by: str = ""
    approved_by: str = ""
    state: str = ""
    state_label: str = ""
    currency: str = ""
    digits: int | None = None

    @property
    def label(self) -> str:
        return LABELS.get(self.type, self.type.replace("_", " ").capitalize())

    @property
    def signed_amount(self) -> Decimal | None:
        if self.amount is None:
            return None
        return -self.amount if self.type in OUTGOING else self.amount


def reference_in(comment: str) -> str:
    found = REFERENCE.search(comment or "")
    return found.group(1) if found else ""


def _from_operation(op: MoneyOperation) -> Movement:
    return Movement(
        account_id=op.account_id, type=op.type, amount=op.amount, created_at=op.created_at,
        comment=op.comment, balance_after=op.balance_after, transaction_id=op.transaction_id,
        reference=op.reference, requested_by=op.requested_by_username,
        approved_by=op.decided_by_username if op.decided_at and op.state not in (
            MoneyOperation.State.REJECTED,) else "",
        state=op.state, state_label=op.get_state_display(), currency=op.currency,
        digits=op.digits)


def _from_transaction(tx: Transaction, account: TradingAccount,
                      ops: dict[str, MoneyOperation]) -> Movement:
    reference = reference_in(tx.comment)
    op = ops.get(reference)
    return Movement(
        account_id=account.id, type=tx.type, amount=tx.amount, created_at=tx.created_at,
        comment=tx.comment, balance_after=tx.balance, transaction_id=tx.id, reference=reference,
        requested_by=op.requested_by_username if op else "",
        approved_by=op.decided_by_username if op and op.decided_at else "",
        state=op.state if op else "", state_label=op.get_state_display() if op else "",
        currency=account.currency, digits=account.currency_digits)


def account_movements(account: TradingAccount, date_from: date | None = None,
                      date_to: date | None = None, limit: int = MAX_ROWS) -> list[Movement]:
    """Every transaction OMTrader holds for this account in the range, newest first, with
    who asked and who approved in the portal (the caller has checked the scope)."""
    omt = get_omtrader()
    transactions: list[Transaction] = []
    page = 1
    while len(transactions) < limit:
        result = omt.list_transactions(account.id, page=page, limit=HISTORY_PAGE,
                                       date_from=date_from, date_to=date_to, sort_by="id",
                                       direction="DESC")
        transactions.extend(result.items)
        if not result.has_next:
            break
        page += 1
    return joined_movements(account, transactions[:limit])


def joined_movements(account: TradingAccount,
                     transactions: Iterable[Transaction]) -> list[Movement]:
    """OMTrader's transactions of one account with who asked and who approved in the portal."""
    transactions = list(transactions)
    references = {reference_in(tx.comment) for tx in transactions} - {""}
    ops = {op.reference: op for op in MoneyOperation.objects.filter(reference__in=references)}
    return [_from_transaction(tx, account, ops) for tx in transactions]


def open_operations(account_id: int) -> list[Movement]:
    """The portal's operations on this account that OMTrader does not show (yet): waiting for
    approval, being sent, or with an outcome still unknown."""
    open_states = (MoneyOperation.State.REQUESTED, MoneyOperation.State.APPROVED,
                   MoneyOperation.State.SENT, MoneyOperation.State.UNKNOWN)
    rows = MoneyOperation.objects.filter(account_id=account_id, state__in=open_states)
    return [_from_operation(op) for op in rows.order_by("-created_at")]


def visible_operations(user) -> QuerySet[MoneyOperation]:
    """The portal's operations on accounts whose group is in the member's scope."""
    scope = group_scope(user)
    rows = MoneyOperation.objects.all()
    if scope.all:
        return rows
    return rows.filter(group_id__in=sorted(scope.ids))


def operation_movements(rows: Iterable[MoneyOperation]) -> Iterator[Movement]:
    return (_from_operation(op) for op in rows)


def account_panel(account: TradingAccount, user, transactions: Iterable[Transaction],
                  error: str = "") -> dict:
    """The context of templates/money/account_movements.html#account-money for one account
    the member may see: its latest transactions (read by the caller, with the rest of the
    page), joined with the portal's records, and the portal's operations still open."""
    return {"money_open": open_operations(account.id),
            "money_rows": [] if error else joined_movements(account, transactions),
            "money_error": error, "money_may_transfer": user.has_perm("staff.transfer_money")}


def unknown_count(user) -> int:
    """For the dashboard: the member's operations whose outcome is still unknown."""
    open_states = (MoneyOperation.State.UNKNOWN, MoneyOperation.State.SENT)
    return visible_operations(user).filter(state__in=open_states).count()
