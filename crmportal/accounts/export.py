"""CSV export of an account list: streamed from the index a chunk at a time (flat memory),
every cell neutralised against formula injection (crmportal/csvfiles.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from crmportal import csvfiles
from crmportal.accounts.models import AccountIndex
from crmportal.omtrader.enums import table

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
    return [csvfiles.safe("" if cell is None else str(cell)) for cell in cells]


def _money(row: AccountIndex, name: str) -> str:
    value = getattr(row, name)
    if value is None:
        return ""
    digits = row.currency_digits if row.currency_digits is not None else 2
    return f"{value:.{digits}f}"


def csv_chunks(rows: Iterable[AccountIndex], group_names: dict[int, str]) -> Iterator[bytes]:
    return csvfiles.csv_chunks(HEADER, (row_of(row, group_names) for row in rows))
