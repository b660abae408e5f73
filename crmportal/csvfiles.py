"""The portal's CSV downloads (client, account, money and trading lists, statements): streamed
CHUNK_ROWS rows at a time so memory stays flat at any row count, every cell safe to open in a
spreadsheet, never cached. Each area writes its rows (lists of cells) and hands them here."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Iterable, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils import timezone

from crmportal.audit import log

CHUNK_ROWS = 500
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets, also
# after leading whitespace (tabs, new lines, spaces), and in their full-width forms, which
# some spreadsheets fold to ASCII.
FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe(cell: str) -> str:
    """Neutralise formula injection: a leading quote makes the cell plain text."""
    if _NUMBER.fullmatch(cell):
        return cell
    if cell.startswith(("\t", "\r", "\n")) or cell.lstrip().startswith(FORMULA_START):
        return "'" + cell
    return cell


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[bytes]:
    """The header, then CHUNK_ROWS rows per chunk (cells already made safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield ("\ufeff" + buffer.getvalue()).encode()  # the BOM tells Excel this is UTF-8
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


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


def record_export(request, kind: str, count: int) -> None:
    """The audit entry of a list's CSV export: how many rows, and the filtered list's address
    (`/<kind>s/?…`)."""
    log.record(f"{kind}.export", request=request, entity_type=kind, after={"rows": count},
               detail=f"CSV export of {count} {kind}{'s' if count != 1 else ''}: "
                      f"/{kind}s/?{request.GET.urlencode()[:1500]}")
