"""Paging every list the same way: page and page size read from the query string, nonsense
corrected with a notice the page shows above its table (never a 500, never a silent jump)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50


def positive_int(raw: str | None, default: int, maximum: int | None = None) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        return default
    if value < 1:
        return default
    return min(value, maximum) if maximum is not None else value


class Row(dict):
    """One row of a list page, from a `.values()` query: templates read it by key, code by
    attribute (`row.id`, `row.url = ...`). Django's templates try a key before an attribute,
    so a model instance per row cost a failed lookup per cell, and building it cost more."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    __setattr__ = dict.__setitem__


def as_rows(page: Page) -> Page:
    """Read the page's `.values()` dicts once, as Rows (evaluates the page's query)."""
    page.object_list = [Row(values) for values in page.object_list]
    return page


@dataclass
class Paged:
    page: Page
    size: int
    notices: list[str] = field(default_factory=list)


def paginate(rows, query) -> Paged:
    """The page of `rows` the query asks for (`page`, `size` or its alias `limit`): a size not
    offered falls back to the default, a page that is not a number to the first, a page past
    the end to the last; each correction adds a notice."""
    notices = []
    raw_size = query.get("size", "") or query.get("limit", "")
    size = positive_int(raw_size, DEFAULT_PAGE_SIZE)
    if raw_size and str(size) != raw_size.strip() or size not in PAGE_SIZES:
        notices.append(f"Page size “{raw_size[:20]}” is not offered; showing "
                       f"{DEFAULT_PAGE_SIZE} per page (choose {', '.join(map(str, PAGE_SIZES))}).")
        size = DEFAULT_PAGE_SIZE
    raw_page = query.get("page", "")
    number = positive_int(raw_page, 1)
    if raw_page and str(number) != raw_page.strip():
        notices.append(f"Page “{raw_page[:20]}” does not exist; showing page 1.")
    paginator = Paginator(rows, size)
    if number > paginator.num_pages:
        notices.append(f"There is no page {number}; showing the last page.")
        number = paginator.num_pages
    return Paged(paginator.page(number), size, notices)
