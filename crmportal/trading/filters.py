"""A trading list's query string, read forgivingly: whatever cannot be used is dropped or
corrected, and each correction is a notice above the table (never a 500).

    criteria = parse(request.GET, kind, symbols)
    criteria.notices      # what was corrected, in words
    criteria.state        # the cleaned query (links, the export, HX-Replace-Url)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from crmportal.omtrader.enums import table
from crmportal.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, positive_int
from crmportal.trading.kinds import Kind, sorts_of

MAX_DAYS = 366  # a longer range is shortened to its last MAX_DAYS days
EARLIEST, LATEST = date(1970, 1, 1), date(2100, 12, 31)  # dates outside are typing mistakes
MAX_PAGE = 1_000_000  # a page beyond this is not asked of OMTrader
PL_SIGNS = {"profit": "Profit", "loss": "Loss"}
ENUMS = {"side": "ModelSideType", "type": "ModelOrderType", "reason": "ModelReasonType"}
LABELS = {"side": "Side", "type": "Order type", "reason": "Reason"}


@dataclass
class Criteria:
    kind: Kind
    group: int | None = None
    account: int | None = None
    client: int | None = None
    symbol: int | None = None
    symbol_code: str = ""
    side: int | None = None
    type: int | None = None
    reason: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    date_on: str = ""  # "opened": the range is on the list's other date (kinds.Kind.other_date)
    pl: str = ""
    vol_min: Decimal | None = None
    vol_max: Decimal | None = None
    sort: str = ""
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    notices: list[str] = field(default_factory=list)

    @property
    def state(self) -> dict[str, str]:
        """The filters as a query (defaults left out; no page or size)."""
        values = {
            "group": self.group, "account": self.account, "client": self.client,
            "symbol": self.symbol_code, "side": self.side, "type": self.type,
            "reason": self.reason, "from": self.date_from, "to": self.date_to,
            "date_on": self.date_on, "pl": self.pl,
            "vol_min": self.vol_min, "vol_max": self.vol_max,
            "sort": self.sort if self.sort != self.kind.default_sort else "",
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return any(k != "sort" for k in self.state)

    @property
    def live_match(self) -> dict[str, int]:
        """The filters a pushed row is matched on in the browser (its data-* attributes)."""
        values = {"group": self.group, "account": self.account, "client": self.client,
                  "symbol": self.symbol}
        return {k: v for k, v in values.items() if v is not None}

    @property
    def pushable(self) -> bool:
        """Pushed rows keep this list right: the first page, newest first, filtered at most by
        what a row is matched on (any other filter or order gets "N changes: refresh")."""
        return self.page == 1 and set(self.state) <= {"group", "account", "client", "symbol"}

    def offered(self) -> dict[str, list[tuple[int, str]]]:
        """The enum filters this list offers, with their choices."""
        names = ["side", "type", "reason"] if self.kind.types else ["side", "reason"]
        return {name: sorted(table(ENUMS[name]).items()) for name in names}


def parse(query, kind: Kind, symbols: dict[str, int]) -> Criteria:
    """`symbols` maps upper-case symbol codes to ids (an id is accepted too)."""
    c = Criteria(kind=kind)
    notes = c.notices
    for name in ("group", "account", "client"):
        setattr(c, name, _id(query, name, notes))
    _symbol(c, query.get("symbol", "").strip(), symbols)
    for name in c.offered():
        setattr(c, name, _code(query, name, notes))
    c.date_from, c.date_to = date_range(query, notes)
    on = query.get("date_on", "").strip()
    if on == "opened" and kind.other_date:
        c.date_on = on
    elif on:
        notes.append(f"Dates “{on[:20]}” is not a choice here; the range is on "
                     f"{kind.date_label.lower()}.")
    pl = query.get("pl", "").strip().lower()
    if pl and not kind.profit:
        notes.append(f"The {kind.title.lower()} list has no P/L; the P/L filter is ignored.")
    elif pl and pl not in PL_SIGNS:
        notes.append(f"P/L “{pl[:20]}” is not a choice (profit or loss); ignored.")
    else:
        c.pl = pl
    c.vol_min, c.vol_max = _number(query, "vol_min", notes), _number(query, "vol_max", notes)
    if c.vol_min is not None and c.vol_max is not None and c.vol_min > c.vol_max:
        c.vol_min, c.vol_max = c.vol_max, c.vol_min
        notes.append("The volume range was reversed; it now runs from the smaller to the larger.")
    sort = query.get("sort", "").strip()
    if sort and sort not in sorts_of(kind):
        notes.append(f"This list cannot be sorted by “{sort[:30]}”; sorted by the default.")
        sort = ""
    c.sort = sort or kind.default_sort
    raw_size = query.get("size", "") or query.get("limit", "")
    size = positive_int(raw_size, DEFAULT_PAGE_SIZE)
    c.size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
    c.page = positive_int(query.get("page", ""), 1, MAX_PAGE)
    return c


def _id(query, name: str, notes: list[str]) -> int | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    if raw.isdigit() and len(raw) < 12:
        return int(raw)
    notes.append(f"{name.capitalize()} “{raw[:20]}” is not a number; that filter is ignored.")
    return None


def _symbol(c: Criteria, raw: str, symbols: dict[str, int]) -> None:
    if not raw:
        return
    code = raw.upper()
    by_id = {sid: name for name, sid in symbols.items()}
    if code in symbols:
        c.symbol, c.symbol_code = symbols[code], code
    elif raw.isdigit() and int(raw) in by_id:
        c.symbol, c.symbol_code = int(raw), by_id[int(raw)]
    else:
        c.notices.append(f"There is no symbol “{raw[:20]}”; the symbol filter is ignored.")


def _code(query, name: str, notes: list[str]) -> int | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    codes = table(ENUMS[name])
    if raw.isdigit() and int(raw) in codes:
        return int(raw)
    notes.append(f"{LABELS[name]} “{raw[:20]}” is not one of the choices; ignored.")
    return None


def date_range(query, notes: list[str]) -> tuple[date | None, date | None]:
    """`from` and `to` as dates: a wrong format or a date outside EARLIEST..LATEST is dropped,
    a reversed range turned round, a range longer than MAX_DAYS (a `from` with no `to` runs to
    today) shortened to its last MAX_DAYS days, each with a notice."""
    bounds = [_date(query, name, notes) for name in ("from", "to")]
    start, end = bounds
    if start and end and start > end:
        start, end = end, start
        notes.append("The dates were reversed; the range now runs from the earlier date.")
    last = end or timezone.localdate()
    if start and (last - start).days > MAX_DAYS:
        start = last - timedelta(days=MAX_DAYS)
        notes.append(f"A range can cover at most {MAX_DAYS} days; showing {start} to "
                     f"{end or 'today'}.")
    return start, end


def _date(query, name: str, notes: list[str]) -> date | None:
    raw = query.get(name, "").strip()
    try:
        value = date.fromisoformat(raw) if raw else None
    except ValueError:
        notes.append(f"“{raw[:20]}” is not a date (write it as YYYY-MM-DD); "
                     f"the “{name}” date is ignored.")
        return None
    if value and not EARLIEST <= value <= LATEST:
        notes.append(f"{value} is outside the years {EARLIEST.year} to {LATEST.year}; "
                     f"the “{name}” date is ignored.")
        return None
    return value


def _number(query, name: str, notes: list[str]) -> Decimal | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or len(raw) > 20:
        notes.append(f"Volume “{raw[:20]}” is not a number of lots; ignored.")
        return None
    return value
