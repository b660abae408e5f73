"""CSV export of money movements: streamed in chunks (memory stays flat), every cell made
safe for spreadsheets (crmportal/csvfiles.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import tzinfo

from crmportal import csvfiles
from crmportal.money.history import Movement

HEADER = ["Date", "Account", "Operation", "Amount", "Currency", "Balance after", "Comment",
          "Reference", "Asked by", "Approved by", "Portal state", "OMTrader transaction"]


def row_of(row: Movement, zone: tzinfo) -> list[str]:
    places = row.digits if row.digits is not None else 2
    cells = [
        row.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z") if row.created_at else "",
        str(row.account_id), row.label,
        f"{row.signed_amount:.{places}f}" if row.signed_amount is not None else "",
        row.currency,
        f"{row.balance_after:.{places}f}" if row.balance_after is not None else "",
        row.comment, row.reference, row.requested_by, row.approved_by, row.state_label,
        str(row.transaction_id or ""),
    ]
    return [csvfiles.safe(cell) for cell in cells]


def csv_chunks(rows: Iterable[Movement], zone: tzinfo) -> Iterator[bytes]:
    return csvfiles.csv_chunks(HEADER, (row_of(row, zone) for row in rows))
