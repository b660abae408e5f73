"""Where a trading list's rows come from, and how each filter is answered.

OMTrader filters by account (a list of ids), group, symbol and (histories and deals) a date
range, and sorts by any field. Every other filter (side, order type, reason, P/L sign, volume
range, dates on the open lists) is applied by the portal while it streams the upstream pages
(1,000 records a page, `iter_all`), keeping only the rows of the page shown: memory stays one
upstream page whatever the size of the history. Group, client and group scope become a set of
account ids through the account directory (below); records are checked against it again,
whatever OMTrader did with the filter.

- exact: every active filter is one OMTrader answers, so the page shown is one upstream page
  (one round trip) and the total is OMTrader's; the footer totals are a second request that
  streams the filtered set once (kept a minute).
- streamed: one pass over the upstream pages that match the filters OMTrader answers counts the
  matches, sums the totals and keeps the page shown.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.core.cache import cache
from django.utils import timezone

from crmportal.omtrader.client import ACCOUNT_DIRECTORY, ITER_LIMIT
from crmportal.omtrader.concurrent import gather_each
from crmportal.omtrader.entities import Deal, Order, Position
from crmportal.omtrader.errors import NotFound, OMTraderError
from crmportal.omtrader.parsing import parse_datetime, parse_decimal, parse_int, quantize
from crmportal.staff.scope import group_scope
from crmportal.trading.filters import Criteria

DIRECTORY_TTL = 60
TOTALS_TTL = 60
PARALLEL_PAGES = 4  # raw pages a pass reads at once (memory: that many pages of dicts)
MAX_IDS_IN_QUERY = 300  # more account ids than this go as their groups instead


class AccountInfo(NamedTuple):
    id: int
    group_id: int | None
    client_id: int | None
    currency: str
    digits: int | None


def directory(omt) -> dict[int, AccountInfo]:
    """Every trading account's group, client and currency, kept DIRECTORY_TTL seconds (one
    upstream page per 1,000 accounts to build) and dropped by every account write made
    through the portal. Each process keeps the copy it read while the shared cache's stamp is
    unchanged (omtrader/cache.py), so a page does not unpickle it: callers never change it."""
    def build() -> dict[int, AccountInfo]:
        return {a.id: AccountInfo(a.id, a.group_id, a.client_id, a.currency, a.currency_digits)
                for a in omt.iter_all(omt.list_accounts)}

    return omt.cache.get_or_fetch(ACCOUNT_DIRECTORY, build, DIRECTORY_TTL)


def with_asked(omt, criteria: Criteria, accounts: dict[int, AccountInfo]) -> dict:
    """The directory plus the account or the client's accounts a filter names when the
    directory (a minute old at most) does not know them yet: one targeted read, not a
    rebuild, so a mistyped number costs one round trip."""
    asked: list = []
    try:
        if criteria.account is not None and criteria.account not in accounts:
            asked.append(omt.get_account(criteria.account))
        if criteria.client is not None and not any(
                a.client_id == criteria.client for a in accounts.values()):
            asked += omt.list_accounts(client_id=criteria.client, limit=1000).items
    except NotFound:
        pass
    if not asked:
        return accounts
    return {**accounts, **{a.id: AccountInfo(a.id, a.group_id, a.client_id, a.currency,
                                             a.currency_digits) for a in asked}}


def symbol_codes(omt) -> dict[int, str]:
    try:
        return {sid: symbol.symbol for sid, symbol in omt.symbols_by_id().items()}
    except OMTraderError:
        return {}


@dataclass
class Plan:
    """What OMTrader is asked (`upstream`) and what the portal checks itself (`check`)."""

    accounts: frozenset[int] | None  # None: every account (no restriction)
    upstream: dict[str, Any]
    check: Callable[[Any], bool]
    exact: bool
    notices: list[str] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return self.accounts is not None and not self.accounts

    def key(self, criteria: Criteria) -> str:
        text = repr((criteria.kind.name, sorted(criteria.state.items()),
                     sorted(self.accounts) if self.accounts is not None else None))
        return "trading:totals:" + hashlib.sha256(text.encode()).hexdigest()


def allowed_accounts(user, criteria: Criteria, accounts: dict[int, AccountInfo],
                     notices: list[str]) -> frozenset[int] | None:
    """The accounts the member may see that the group, account and client filters leave;
    None when neither scope nor filters restrict. A filter on something out of scope matches
    nothing, in the same words as something that does not exist."""
    scope = group_scope(user)
    allowed = None if scope.all else frozenset(
        a.id for a in accounts.values() if a.group_id in scope)
    wanted = [
        ("group", criteria.group, lambda a: a.group_id == criteria.group),
        ("account", criteria.account, lambda a: a.id == criteria.account),
        ("client", criteria.client, lambda a: a.client_id == criteria.client),
    ]
    for name, value, test in wanted:
        if value is None:
            continue
        matching = frozenset(a.id for a in accounts.values() if test(a))
        allowed = matching if allowed is None else allowed & matching
        if not matching or (scope.limit is not None and not matching & allowed):
            notices.append(f"No trading account of {name} {value} is in your groups.")
    return allowed


def plan(user, criteria: Criteria, accounts: dict[int, AccountInfo]) -> Plan:
    kind = criteria.kind
    notices: list[str] = []
    allowed = allowed_accounts(user, criteria, accounts, notices)
    upstream: dict[str, Any] = {}
    exact = True
    if allowed is not None:
        if len(allowed) <= MAX_IDS_IN_QUERY:
            upstream["account_id"] = sorted(allowed)
        else:
            upstream["group_id"] = ",".join(map(str, sorted(
                {accounts[a].group_id for a in allowed if accounts[a].group_id is not None})))
            exact = False
    if criteria.symbol is not None:
        upstream["symbol_id"] = criteria.symbol
    date_attr, date_upstream = kind.date_of(criteria.date_on)
    if date_upstream:
        upstream["date_from"], upstream["date_to"] = criteria.date_from, criteria.date_to
    checks = _checks(criteria, allowed)
    own = [name for name in ("side", "type", "reason", "pl", "vol_min", "vol_max")
           if getattr(criteria, name) not in (None, "")]
    if own or (not date_upstream and (criteria.date_from or criteria.date_to)):
        exact = False

    def check(item: Any) -> bool:
        return all(test(item) for test in checks)

    return Plan(allowed, {k: v for k, v in upstream.items() if v is not None}, check, exact,
                notices)


def _checks(c: Criteria, allowed: frozenset[int] | None) -> list[Callable[[Any], bool]]:
    kind, checks = c.kind, []
    if allowed is not None:
        checks.append(lambda r: r.account_id in allowed)
    if c.symbol is not None:
        checks.append(lambda r: r.symbol_id == c.symbol)
    for name in ("side", "type", "reason"):
        code = getattr(c, name)
        if code is not None:
            checks.append(lambda r, n=name, v=code: getattr(r, n) is not None
                          and getattr(r, n).code == v)
    if c.date_from or c.date_to:
        attr = kind.date_of(c.date_on)[0]
        checks.append(lambda r: _within(getattr(r, attr), c))
    if c.pl and kind.profit:
        sign = 1 if c.pl == "profit" else -1
        checks.append(lambda r: (getattr(r, kind.profit) or 0) * sign > 0)
    if c.vol_min is not None:
        checks.append(lambda r: (getattr(r, kind.volume) or 0) >= c.vol_min)
    if c.vol_max is not None:
        checks.append(lambda r: (getattr(r, kind.volume) or 0) <= c.vol_max)
    return checks


def _within(stamp, c: Criteria) -> bool:
    """The member's time zone decides which day a stamp is on, as for OMTrader's filter."""
    if stamp is None:
        return False
    day = timezone.localtime(stamp).date()
    return not ((c.date_from and day < c.date_from) or (c.date_to and day > c.date_to))


def _order(criteria: Criteria) -> dict[str, str]:
    sort = criteria.sort
    return {"sort_by": sort.lstrip("-"), "direction": "DESC" if sort.startswith("-") else "ASC"}


def stream(omt, criteria: Criteria, the_plan: Plan,
           only: frozenset[str] | None = None) -> Iterator[Any]:
    """Every record of the filtered set, in the list's order, one upstream page at a time (so
    memory holds one page), each parsed for `only`, the fields the caller reads."""
    if the_plan.nothing:
        return
    method = getattr(omt, criteria.kind.method)
    for item in omt.iter_all(method, limit=ITER_LIMIT, only=_checked(criteria, only),
                             **_order(criteria), **the_plan.upstream):
        if the_plan.check(item):
            yield item


def _checked(criteria: Criteria, only: frozenset[str] | None) -> frozenset[str] | None:
    """`only` and what the portal's own checks read: the fields of a light record
    (_light_fields), which holds exactly those."""
    if only is None:
        return None
    return only | {name for name, _, _ in _light_fields(criteria.kind, criteria)}


@dataclass
class Totals:
    count: int = 0
    by_currency: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def add(self, item: Any, attrs: Sequence[str], currency: str) -> None:
        self.count += 1
        sums = self.by_currency.setdefault(currency, dict.fromkeys(attrs, Decimal(0)))
        for attr in attrs:
            sums[attr] += getattr(item, attr) or 0

    def rows(self, kind, digits: dict[str, int | None]) -> list[dict]:
        return [{"currency": currency, "digits": digits.get(currency),
                 "values": [(label, sums[attr], attr == kind.volume)
                            for label, attr in kind.totals]}
                for currency, sums in sorted(self.by_currency.items())]


@dataclass
class Scan:
    totals: Totals
    window: list


def scan(omt, criteria: Criteria, the_plan: Plan, accounts: dict[int, AccountInfo],
         start: int, stop: int, only: frozenset[str] | None = None) -> Scan:
    """One pass: count and sum the whole filtered set, keep rows start..stop. Records are
    checked and summed on what a light read of them holds (_raw_pass); only the rows kept
    are parsed whole."""
    attrs = [attr for _, attr in criteria.kind.totals]
    entity = _entity(criteria.kind)
    totals, window = Totals(), []
    if not the_plan.nothing:
        for raw, record in _raw_pass(omt, criteria, the_plan):
            if start <= totals.count < stop:
                window.append(entity.from_wire(raw, only))
            info = accounts.get(record.account_id)
            totals.add(record, attrs, info.currency if info else "")
    if _keeps_totals(criteria):
        cache.set(the_plan.key(criteria), totals, TOTALS_TTL)
    return Scan(totals, window)


def _keeps_totals(criteria: Criteria) -> bool:
    """Totals are kept (TOTALS_TTL) except a live list's: an open position's P/L moves with
    every price, and such a list is one or two upstream pages."""
    return not criteria.kind.live


def totals_of(omt, criteria: Criteria, the_plan: Plan, accounts: dict[int, AccountInfo],
              seen: str | None = None) -> Totals:
    """The footer of an exact list (a request of its own, `?part=totals`), or kept from the
    pass that showed a page when those totals count what the page counted (`seen`)."""
    cached = cache.get(the_plan.key(criteria)) if _keeps_totals(criteria) else None
    if cached is not None and str(cached.count) == (seen or "").strip():
        return cached
    return scan(omt, criteria, the_plan, accounts, 0, 0).totals


def raw_records(omt, endpoint: str, **params: Any) -> Iterator[dict]:
    """Every record of a trading list as OMTrader sent it, one page at a time (unparsed: the
    caller parses the few it keeps)."""
    page = 1
    while True:
        records, total = omt.trading_records(endpoint, page=page, limit=ITER_LIMIT, **params)
        yield from records
        if len(records) < ITER_LIMIT or (total is not None and page * ITER_LIMIT >= total):
            return
        page += 1


def _raw_pass(omt, criteria: Criteria, the_plan: Plan) -> Iterator[tuple[dict, Any]]:
    """Every record of the filtered set, in the list's order, as sent and as a light record
    holding only what the checks and totals read (reading a few fields of a deal costs a
    fiftieth of parsing it). Pages are fetched PARALLEL_PAGES at a time once the first page
    told the total, page by page otherwise."""
    kind = criteria.kind
    fields = _light_fields(kind, criteria)

    def fetch(page: int) -> tuple[list[dict], int | None]:
        return omt.trading_records(kind.endpoint, page=page, limit=ITER_LIMIT,
                                   **_order(criteria), **dict(the_plan.upstream))

    records, total = fetch(1)
    pages = -(-total // ITER_LIMIT) if total is not None else None
    page = 1
    while True:
        for raw in records:
            record = _light(raw, fields)
            if the_plan.check(record):
                yield raw, record
        if pages is None:  # no total: page by page until a short one
            if len(records) < ITER_LIMIT:
                return
            page += 1
            records, _ = fetch(page)
            continue
        if page >= pages:
            return
        batch = list(range(page + 1, min(pages, page + PARALLEL_PAGES) + 1))
        records = [r for got, _ in gather_each(fetch, batch) for r in got]
        page = batch[-1]


def _entity(kind) -> type:
    return {"deals": Deal, "positions": Position, "position-history": Position}.get(
        kind.name, Order)


def _light_fields(kind, criteria: Criteria) -> list[tuple[str, tuple[str, ...], Callable]]:
    """(attribute, wire names, reader) of what a light record holds, in reading order: the
    account, symbol and money digits (scope, filters), the enum codes filtered on, the summed
    attributes and the P/L and volume read as the entity reads them (money to the currency's
    digits), and the date the range is on if any."""
    by_name = {f.name: f for f in dataclasses.fields(_entity(kind))}
    ids = ("account_id", "symbol_id", "digits_currency")
    enums = [name for name in ("side", "type", "reason") if getattr(criteria, name) is not None]
    numbers = [attr for _, attr in kind.totals] + [a for a in (kind.profit, kind.volume) if a]
    dated = kind.date_of(criteria.date_on)[0] if criteria.date_from or criteria.date_to else None
    fields = []
    for name in dict.fromkeys([*ids, *enums, *numbers, *([dated] if dated else [])]):
        meta = by_name[name].metadata
        reader = (parse_int if name in ids else _code if name in enums
                  else parse_datetime if name == dated else _money_reader(meta.get("digits")))
        fields.append((name, tuple(meta.get("wire", ())) or (name,), reader))
    return fields


def _code(value: Any) -> SimpleNamespace:
    """An enum as the checks read it (`.code`)."""
    return SimpleNamespace(code=parse_int(value))


def _money_reader(digits) -> Callable:
    def read(value: Any, record: dict) -> Decimal:
        number = parse_decimal(value)
        places = record.get("digits_currency") if isinstance(digits, str) else digits
        return quantize(number, places) if digits is not None else number
    return read


def _light(raw: dict, fields) -> SimpleNamespace:
    values: dict[str, Any] = {}
    for name, wire, reader in fields:
        value = next((raw[w] for w in wire if raw.get(w) is not None), None)
        if value is None:
            values[name] = None
        elif reader in (parse_int, parse_datetime, _code):
            values[name] = reader(value)
        else:
            values[name] = reader(value, values)
    return SimpleNamespace(**values)


class Window(Sequence):
    """The filtered set as Django's Paginator sees it: its length is the number of matches,
    and the slice it asks for is fetched then (one upstream page, or one pass)."""

    def __init__(self, count: int, first: tuple[int, list], fetch: Callable[[int, int], list]):
        self.count_, self.first, self.fetch = count, first, fetch

    def __len__(self) -> int:
        return self.count_

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("a Window is only sliced")
        if index.start == self.first[0]:
            return self.first[1]
        return self.fetch(index.start, index.stop)


def window(omt, criteria: Criteria, the_plan: Plan, accounts: dict[int, AccountInfo],
           only: frozenset[str] | None = None) -> tuple[Window, Totals | None]:
    """The rows of the page asked for, and the totals when the pass computed them anyway;
    `only`: the fields the rows read (parsing.build)."""
    size = criteria.size
    start = (criteria.page - 1) * size
    if the_plan.nothing:
        return Window(0, (0, []), lambda a, b: []), Totals()
    if the_plan.exact:
        method = getattr(omt, criteria.kind.method)

        def fetch(first: int, stop: int) -> list:
            return list(method(page=first // size + 1, limit=size, **_order(criteria),
                               only=only, **the_plan.upstream).items)

        page = method(page=criteria.page, limit=size, **_order(criteria), only=only,
                      **the_plan.upstream)
        if page.total is not None:
            return Window(page.total, (start, list(page.items)), fetch), None
    found = scan(omt, criteria, the_plan, accounts, start, start + size, only)

    def again(first: int, stop: int) -> list:
        return scan(omt, criteria, the_plan, accounts, first, stop, only).window

    return Window(found.totals.count, (start, found.window), again), found.totals
