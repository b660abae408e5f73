"""Pagination (page, limit), sorting (sort_by, dir) and the simulator's extension filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from .entities import SORTABLE
from .envelope import invalid
from .store import Record
from .timeutil import parse_bound, rfc3339

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    page: int
    limit: int
    sort_by: str
    desc: bool


def page_params(query: Mapping[str, str], kind: str) -> Page:
    errors: dict[str, str] = {}
    page = _int(query, "page", 1, errors)
    limit = _int(query, "limit", DEFAULT_LIMIT, errors)
    if "page" not in errors and page < 1 and page != -1:
        errors["page"] = "must be 1 or more (or -1 for all records)"
    if "limit" not in errors and not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"must be between 1 and {MAX_LIMIT}"
    sort_by = query.get("sort_by") or "id"
    if sort_by not in SORTABLE[kind]:
        errors["sort_by"] = f"cannot sort by {sort_by!r}"
    direction = (query.get("dir") or "ASC").upper()
    if direction not in ("ASC", "DESC"):
        errors["dir"] = "must be ASC or DESC"
    if errors:
        raise invalid(errors, "invalid list parameters")
    return Page(page, limit, sort_by, direction == "DESC")


def _int(query: Mapping[str, str], name: str, default: int, errors: dict[str, str]) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        errors[name] = "must be an integer"
        return default


def int_filter(query: Mapping[str, str], name: str) -> list[int] | None:
    """`name=5` or `name=5,7`: the ids, None when absent. 400 when malformed."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise invalid({name: "must be an integer or a comma-separated list of integers"},
                      "invalid filter") from None


def time_filter(query: Mapping[str, str]) -> tuple[str | None, str | None]:
    """`from` / `to` as RFC 3339 prefixes (second precision) comparable with stored stamps."""
    bounds: list[str | None] = []
    for name, end in (("from", False), ("to", True)):
        raw = query.get(name)
        if not raw:
            bounds.append(None)
            continue
        try:
            bounds.append(rfc3339(int(parse_bound(raw, end) * 1e9))[:19])
        except (ValueError, OverflowError, OSError):
            raise invalid({name: "must be unix seconds, YYYY-MM-DD or an RFC 3339 time"},
                          "invalid filter") from None
    return bounds[0], bounds[1]


def in_range(rows: Iterable[Record], field: str, low: str | None,
             high: str | None) -> Iterable[Record]:
    if low is None and high is None:
        return rows
    return (r for r in rows if r[field] and (low is None or r[field][:19] >= low)
            and (high is None or r[field][:19] < high))


def _key(field: str) -> Any:
    def key(row: Record) -> tuple[bool, Any]:
        value = row.get(field)
        return (value is None, value if value is not None else 0)
    return key


def paginate(rows: Iterable[Record], p: Page, *, id_ordered: bool,
             total: int | None = None) -> dict[str, Any]:
    """`{records, page, limit, total}`. Rows already in id order skip the sort."""
    if id_ordered and p.sort_by == "id":
        ordered = rows if isinstance(rows, list) else list(rows)
        if p.desc:
            ordered = ordered[::-1]
    else:
        ordered = sorted(rows, key=_key(p.sort_by), reverse=p.desc)
    count = len(ordered)
    if p.page == -1:
        records = list(ordered)
    else:
        start = (p.page - 1) * p.limit
        records = list(islice(ordered, start, start + p.limit))
    return {"records": records, "page": p.page, "limit": p.limit,
            "total": count if total is None else total}


def page_of_dict(rows: dict[int, Record], p: Page) -> dict[str, Any]:
    """Fast path for an unfiltered id-keyed collection in id order (no copy of the whole set)."""
    if p.sort_by != "id" or p.page == -1:
        return paginate(list(rows.values()), p, id_ordered=True)
    total = len(rows)
    start = (p.page - 1) * p.limit
    if p.desc:
        end = total - start
        values = list(islice(reversed(rows.values()), start, start + p.limit)) if end > 0 else []
    else:
        values = list(islice(rows.values(), start, start + p.limit))
    return {"records": values, "page": p.page, "limit": p.limit, "total": total}
