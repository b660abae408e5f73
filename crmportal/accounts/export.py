"""CSV export of an account list: streamed from the index a chunk at a time (flat memory),
every cell neutralised against formula injection (clients/export.py: safe)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from crmportal.accounts.models import AccountIndex
from crmportal.clients.export import safe
from crmportal.omtrader.enums import table

CHUNK_ROWS = 500
HEADER = ["Account", "Username", "Holder", "E-mail", "Client", "Client name", "Group",
          "Currency", "Leverage", "Trade type", "Balance", "Credit", "Equity", "Margin",
          "Free margin", "Margin level", "Floating P/L", "State", "Updated"]


def row_of(row: AccountIndex, group_names: dict[int, str]) -> list[str]:
    states, types = table("ModelLiqudationStatus"), table("ModelTradeType")
    cells = [row.id, row.username, row.holder_name, row.email, row.client_id, row.client_name,
             group_names.get(row.group_id, f"Group #{row.group_id}"), row.currency,
             row.leverage, types.get(row.trade_type, ""), *(_money(row, name) for name in (
                 "balance", "credit", "equity", "margin", "margin_free")),
             row.margin_level.normalize() if row.margin_level is not None else "",
             _money(row, "profit"), states.get(row.liquidation_status, ""),
             row.updated_at.isoformat() if row.updated_at else ""]
    return [safe("" if cell is None else str(cell)) for cell in cells]


def _money(row: AccountIndex, name: str) -> str:
    value = getattr(row, name)
    if value is None:
        return ""
    digits = row.currency_digits if row.currency_digits is not None else 2
    return f"{value:.{digits}f}"


def csv_chunks(rows: Iterable[AccountIndex], group_names: dict[int, str]) -> Iterator[bytes]:
    """The header, then CHUNK_ROWS rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield ("\ufeff" + buffer.getvalue()).encode()  # the BOM tells Excel this is UTF-8
    batch: list[list[str]] = []
    for row in rows:
        batch.append(row_of(row, group_names))
        if len(batch) == CHUNK_ROWS:
            yield _written(batch)
            batch = []
    if batch:
        yield _written(batch)


def _written(batch: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(batch)
    return buffer.getvalue().encode()
