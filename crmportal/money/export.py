"""CSV export of money movements: streamed in chunks (memory stays flat), every cell made
safe for spreadsheets the way the client export does it (crmportal/clients/export.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import tzinfo

from crmportal.clients.export import in_async, safe
from crmportal.money.history import Movement

__all__ = ["CHUNK_ROWS", "csv_chunks", "in_async"]

CHUNK_ROWS = 500
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
    return [safe(cell) for cell in cells]


def csv_chunks(rows: Iterable[Movement], zone: tzinfo) -> Iterator[bytes]:
    """The header (with a BOM for Excel), then CHUNK_ROWS rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    batch = 0
    for row in rows:
        writer.writerow(row_of(row, zone))
        batch += 1
        if batch % CHUNK_ROWS == 0:
            yield _drain(buffer, first=batch == CHUNK_ROWS)
    if batch % CHUNK_ROWS or batch == 0:
        yield _drain(buffer, first=batch < CHUNK_ROWS)


def _drain(buffer: io.StringIO, first: bool) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return (("\ufeff" if first else "") + text).encode()
