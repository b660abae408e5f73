"""CSV export of a client list: streamed row by row, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo

from crmportal import csvfiles
from crmportal.clients import kyc
from crmportal.clients.fields import FIELDS, enum_label, mask

HEADER = ["Id", "KYC", *(field.label for field in FIELDS.values())]


def row_of(record: dict, *, may_see_sensitive: bool, group_names: dict[int, str],
           zone: tzinfo) -> list[str]:
    cells = [str(record.get("id", "")), kyc.label_of(record.get("kyc_status"))]
    for name, field in FIELDS.items():
        value = record.get(name)
        if value is None or value == "":
            cells.append("")
        elif field.sensitive and not may_see_sensitive:
            cells.append(mask(value))
        elif field.kind == "enum":
            cells.append(enum_label(field, value))
        elif field.kind == "group":
            cells.append(group_names.get(value, f"Group #{value}"))
        elif field.kind == "datetime":
            stamp = datetime.fromisoformat(value).astimezone(zone)
            cells.append(stamp.strftime("%Y-%m-%d %H:%M:%S %z"))
        else:
            cells.append(str(value))
    return [csvfiles.safe(cell) for cell in cells]


def csv_chunks(records: Iterable[dict], **options) -> Iterator[bytes]:
    return csvfiles.csv_chunks(HEADER, (row_of(record, **options) for record in records))
