"""CSV export of a client list: streamed row by row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, tzinfo

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone

from crmportal.audit import log
from crmportal.clients import kyc
from crmportal.clients.fields import FIELDS, enum_label, mask

CHUNK_ROWS = 500
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets, also
# after leading whitespace (tabs, new lines, spaces), and in their full-width forms, which
# some spreadsheets fold to ASCII.
FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")

HEADER = ["Id", "KYC", *(field.label for field in FIELDS.values())]


def safe(cell: str) -> str:
    """Neutralise formula injection: a leading quote makes the cell plain text."""
    if _NUMBER.fullmatch(cell):
        return cell
    if cell.startswith(("\t", "\r", "\n")) or cell.lstrip().startswith(FORMULA_START):
        return "'" + cell
    return cell


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
    return [safe(cell) for cell in cells]


def csv_chunks(records: Iterable[dict], **options) -> Iterator[bytes]:
    """The header, then CHUNK_ROWS rows per chunk: memory stays flat however many rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    pending = 0
    yield ("\ufeff" + buffer.getvalue()).encode()  # the BOM tells Excel this is UTF-8
    buffer.seek(0)
    buffer.truncate()
    for record in records:
        writer.writerow(row_of(record, **options))
        pending += 1
        if pending == CHUNK_ROWS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode()


def record_export(request, kind: str, count: int) -> None:
    """The audit entry of a list's CSV export: how many rows, and the filtered list's address
    (`/<kind>s/?…`)."""
    log.record(f"{kind}.export", request=request, entity_type=kind, after={"rows": count},
               detail=f"CSV export of {count} {kind}{'s' if count != 1 else ''}: "
                      f"/{kind}s/?{request.GET.urlencode()[:1500]}")


def csv_response(request, chunks: Iterator[bytes], name: str) -> StreamingHttpResponse:
    """The CSV download `name-YYYYmmdd-HHMM.csv`, streamed (asynchronously under ASGI), never
    cached."""
    content = in_async(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


async def in_async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Under ASGI a streaming response must iterate asynchronously, or Django reads it whole
    into memory first; each chunk is made in the request's thread (database access)."""
    next_chunk = sync_to_async(next, thread_sensitive=True)
    while (chunk := await next_chunk(chunks, None)) is not None:
        yield chunk
