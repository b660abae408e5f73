"""OMTraderClient: every Manager endpoint (docs/omtrader-api.md §5.2), returning entities.

    from crmportal.omtrader.client import get_omtrader
    omt = get_omtrader()                      # the process-wide instance, built from settings
    page = omt.list_clients(page=2, limit=50, sort_by="id", direction="DESC")
    client = omt.get_client(page.items[0].id)

Reads: list_* of clients, accounts, orders, positions, deals, histories and transactions return
a Page (items, page, limit, total, has_next); iter_all() walks every page. Reference data
(groups, symbols, commissions, group symbols) comes back as a plain list of every record, and
groups/symbols also through a cache (groups_cached, symbols_cached).

Writes take a plain dict keyed by the entities' clean names (exit_loss, liquidation_status,
tiers, ...); values may be str, int, bool, Decimal, date, datetime, EnumValue or entities.
They are renamed to the wire spellings and sent as JSON; the entity as OMTrader stored it is
returned. Writes are never retried automatically (a 401 is: the write was not applied).

Errors (errors.py): Unavailable (OMTrader not reached; under it Timeout: sent, no answer;
ServerError: a 5xx; BadResponse: an answer that cannot be read; `maybe_applied` says whether a
failed write may have been carried out), Unauthorized (credentials refused, 401), Forbidden
(the portal's account may not do this, 403), NotFound, Rejected (400, 409, 422;
.field_errors maps clean field names to the upstream's messages).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from crmportal.omtrader.auth import Auth
from crmportal.omtrader.cache import Cache
from crmportal.omtrader.config import Config
from crmportal.omtrader.entities import (
    Client,
    Commission,
    Deal,
    Group,
    GroupSymbol,
    LoginSession,
    Order,
    Page,
    Position,
    Symbol,
    TradingAccount,
    Transaction,
    flatten_groups,
    group_tree,
)
from crmportal.omtrader.errors import BadResponse, Rejected, Unauthorized
from crmportal.omtrader.parsing import WrongType, build_list, parse_datetime
from crmportal.omtrader.paths import Paths
from crmportal.omtrader.transport import Transport, wire_time

log = logging.getLogger("crmportal.omtrader")
T = TypeVar("T")

ITER_LIMIT = 1000  # the simulator's (and a sane) maximum page size
TRANSFER_TYPES = ("deposit", "withdrawal", "credit_in", "credit_out")
REFERENCE_KINDS = ("groups", "symbols")
# The cache key of a view of every account that a reader builds and keeps (the trading lists'
# account directory); every account write made here drops it.
ACCOUNT_DIRECTORY = "account-directory"
REFILTERED = frozenset({"account_id", "symbol_id", "created_at"})  # _trading's _refilter


class OMTraderClient:
    def __init__(self, config: Config):
        self.config = config
        self.transport = Transport(config)
        self.paths = Paths(config.paths)
        self.cache = Cache(config.cache_alias, f"{config.base_url}|{config.username}")
        self.auth = Auth(config, self.transport, self.paths, self.cache)

    @classmethod
    def from_settings(cls) -> OMTraderClient:
        return cls(Config.from_settings())

    def __repr__(self) -> str:
        return f"<OMTraderClient {self.config.base_url}>"

    def close(self) -> None:
        self.transport.close()

    # Clients

    def list_clients(
        self, page: int = 1, limit: int = 50, sort_by: str | None = None,
        direction: str = "ASC", **filters: Any,
    ) -> Page[Client]:
        return self._page("clients", Client, page, limit, sort_by, direction, filters)

    def get_client(self, client_id: int) -> Client:
        return Client.from_wire(self._call("GET", "client", key=client_id))

    def create_client(self, data: Mapping[str, Any]) -> Client:
        return self._write("POST", "clients", Client, data)

    def update_client(self, client_id: int, data: Mapping[str, Any]) -> Client:
        return self._write("PUT", "client", Client, data, key=client_id,
                           reload=lambda: self.get_client(client_id))

    def delete_client(self, client_id: int) -> None:
        self._call("DELETE", "client", key=client_id)

    # Trading accounts

    def list_accounts(
        self, page: int = 1, limit: int = 50, sort_by: str | None = None,
        direction: str = "ASC", *, client_id: int | None = None, group_id: int | None = None,
        **filters: Any,
    ) -> Page[TradingAccount]:
        filters.update(client_id=client_id, group_id=group_id)
        result = self._page("accounts", TradingAccount, page, limit, sort_by, direction, filters)
        return _refilter(result, client_id=client_id, group_id=group_id)

    def get_account(self, account_id: int) -> TradingAccount:
        return TradingAccount.from_wire(self._call("GET", "account", key=account_id))

    def create_account(self, data: Mapping[str, Any]) -> TradingAccount:
        try:
            account = self._write("POST", "accounts", TradingAccount, data)
        finally:
            self.cache.delete(ACCOUNT_DIRECTORY)  # a reply lost after the write counts too
        self._forget_client_accounts(account.client_id)
        return account

    def update_account(self, account_id: int, data: Mapping[str, Any]) -> TradingAccount:
        try:
            account = self._write("PUT", "account", TradingAccount, data, key=account_id,
                                  reload=lambda: self.get_account(account_id))
        finally:
            self.cache.delete(ACCOUNT_DIRECTORY)
        self._forget_client_accounts(account.client_id, data.get("client_id"))
        return account

    def delete_account(self, account_id: int) -> None:
        try:
            self._call("DELETE", "account", key=account_id)
        finally:
            self.cache.delete(ACCOUNT_DIRECTORY)

    def transfer_money(
        self, account_id: int, operation: str, amount: Decimal | int | str, comment: str = ""
    ) -> Transaction:
        """operation: deposit, withdrawal, credit_in or credit_out; amount > 0. Not retried."""
        if operation not in TRANSFER_TYPES:
            raise Rejected("Unknown operation", field_errors={"type": "Choose a valid operation."})
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            value = Decimal(0)
        if not value.is_finite() or value <= 0:
            raise Rejected("Invalid amount", field_errors={"amount": "Enter an amount above 0."})
        body = {"type": operation, "amount": value, "comment": comment}
        return Transaction.from_wire(self._call("POST", "account_money", key=account_id, body=body))

    def list_transactions(
        self, account_id: int, page: int = 1, limit: int = 50, date_from: Any = None,
        date_to: Any = None, sort_by: str | None = None, direction: str = "ASC",
    ) -> Page[Transaction]:
        start, end = _bounds(date_from, date_to)
        filters = {"from": _wire_bound(start), "to": _wire_bound(end, upper=True)}
        result = self._page("account_transactions", Transaction, page, limit, sort_by, direction,
                            filters, key=account_id)
        return _refilter(result, created=(start, end))

    # Groups and their commissions

    def list_groups(self) -> list[Group]:
        """Every group the manager may see, flat (children emptied), each with its parent_id."""
        return flatten_groups(self._every("groups", Group))

    def group_tree(self) -> list[Group]:
        """The cached groups as a tree: roots with `children` filled."""
        return group_tree(self.groups_cached())

    def get_group(self, group_id: int) -> Group:
        return Group.from_wire(self._call("GET", "group", key=group_id))

    def update_group(self, group_id: int, data: Mapping[str, Any]) -> Group:
        try:
            return self._write("PUT", "group", Group, data, key=group_id,
                               reload=lambda: self.get_group(group_id))
        finally:
            self.invalidate_reference("groups")

    def list_commissions(self, group_id: int) -> list[Commission]:
        return self._every("group_commissions", Commission, key=group_id)

    def create_commission(self, data: Mapping[str, Any]) -> Commission:
        return self._write("POST", "commissions", Commission, data)

    def update_commission(self, commission_id: int, data: Mapping[str, Any]) -> Commission:
        return self._write("PUT", "commission", Commission, data, key=commission_id)

    def delete_commission(self, commission_id: int) -> None:
        self._call("DELETE", "commission", key=commission_id)

    # Symbols and group symbols

    def list_symbols(self) -> list[Symbol]:
        return self._every("symbols", Symbol)

    def get_symbol(self, symbol_id: int) -> Symbol:
        return Symbol.from_wire(self._call("GET", "symbol", key=symbol_id))

    def list_group_symbols(self, group_id: int) -> list[GroupSymbol]:
        return self._every("group_symbols", GroupSymbol, key=group_id)

    def update_group_symbol(self, group_symbol_id: int, data: Mapping[str, Any]) -> GroupSymbol:
        try:
            return self._write("PUT", "group_symbol", GroupSymbol, data, key=group_symbol_id)
        finally:
            self.invalidate_reference("symbols")

    # Orders, positions, deals (read-only in the Manager API)

    def list_orders(self, page: int = 1, limit: int = 50, sort_by: str | None = None,
                    direction: str = "ASC", only: frozenset[str] | None = None,
                    **filters: Any) -> Page[Order]:
        """Filters: account_id (an id or a list), group_id, symbol_id."""
        return self._trading("orders", Order, page, limit, sort_by, direction, filters,
                             only=only)

    def get_order(self, order_id: int) -> Order:
        return Order.from_wire(self._call("GET", "order", key=order_id))

    def order_history(self, page: int = 1, limit: int = 50, sort_by: str | None = None,
                      direction: str = "ASC", only: frozenset[str] | None = None,
                      **filters: Any) -> Page[Order]:
        """Filters: account_id, group_id, symbol_id, date_from, date_to."""
        return self._trading("orders_history", Order, page, limit, sort_by, direction, filters,
                             only=only)

    def list_positions(self, page: int = 1, limit: int = 50, sort_by: str | None = None,
                       direction: str = "ASC", only: frozenset[str] | None = None,
                       **filters: Any) -> Page[Position]:
        """Open positions. Filters: account_id (an id or a list), group_id, symbol_id."""
        return self._trading("positions", Position, page, limit, sort_by, direction, filters,
                             only=only)

    def get_position(self, position_id: int) -> Position:
        return Position.from_wire(self._call("GET", "position", key=position_id))

    def position_history(self, page: int = 1, limit: int = 50, sort_by: str | None = None,
                         direction: str = "ASC", only: frozenset[str] | None = None,
                         **filters: Any) -> Page[Position]:
        """Filters: account_id, group_id, symbol_id, date_from, date_to."""
        return self._trading("positions_history", Position, page, limit, sort_by, direction,
                             filters, only=only)

    def list_deals(self, page: int = 1, limit: int = 50, sort_by: str | None = None,
                   direction: str = "ASC", only: frozenset[str] | None = None,
                   **filters: Any) -> Page[Deal]:
        """Filters: account_id (an id or a list), group_id, symbol_id, date_from, date_to."""
        return self._trading("deals", Deal, page, limit, sort_by, direction, filters,
                             dated=True, only=only)

    def get_deal(self, deal_id: int) -> Deal:
        return Deal.from_wire(self._call("GET", "deal", key=deal_id))

    def trading_records(self, endpoint: str, page: int = 1, limit: int = ITER_LIMIT,
                        sort_by: str | None = None, direction: str = "ASC",
                        **filters: Any) -> tuple[list[dict], int | None]:
        """One page of a trading list (`orders`, `orders_history`, `positions`,
        `positions_history`, `deals`) as OMTrader sent it: the records unparsed, and the total.
        For passes that read a few fields of many records (the trading lists' footer totals:
        parsing every field of 1,000 deals costs ~50 ms). Nothing is re-filtered here: the
        caller checks account, symbol and dates itself."""
        start, end = _bounds(filters.pop("date_from", None), filters.pop("date_to", None))
        filters.update({"from": _wire_bound(start), "to": _wire_bound(end, upper=True)})
        params = {"page": page, "limit": limit, "sort_by": sort_by,
                  "dir": direction.upper() if sort_by else None, **filters}
        data = self._call("GET", endpoint, params=params)
        if isinstance(data, dict) and "records" in data:
            total = data.get("total")
            return list(data["records"] or []), total if isinstance(total, int) else None
        if isinstance(data, list):
            return data, None
        if data is None or isinstance(data, str):
            return [], None
        raise BadResponse(f"OMTrader sent a {endpoint} list that is neither a list nor a page")

    def iter_all(self, list_method: Callable[..., Page[T]], *, limit: int = ITER_LIMIT,
                 **filters: Any) -> Iterator[T]:
        """Every item of a paged list, e.g. iter_all(omt.list_deals, account_id=[1, 2])."""
        page, previous = 1, None
        while True:
            result = list_method(page=page, limit=limit, **filters)
            first = getattr(result.items[0], "id", None) if result.items else None
            if first is not None and first == previous:
                return  # the upstream ignores `page`: the same page again
            yield from result.items
            if not result.has_next or not result.items:
                return
            page, previous = page + 1, first

    # Cached reference data

    def groups_cached(self) -> list[Group]:
        # A copy of the list: the process shares its copy between requests (cache.py).
        return list(self.cache.get_or_fetch("groups", self.list_groups, self.config.cache_ttl))

    def symbols_cached(self) -> list[Symbol]:
        return list(self.cache.get_or_fetch("symbols", self.list_symbols, self.config.cache_ttl))

    def symbols_by_id(self) -> dict[int, Symbol]:
        return {symbol.id: symbol for symbol in self.symbols_cached()}

    def invalidate_reference(self, kind: str | None = None) -> None:
        """Drop cached groups and/or symbols ("groups", "symbols", None for both)."""
        kinds = REFERENCE_KINDS if kind is None else (kind.rstrip("s") + "s",)
        for name in kinds:
            if name not in REFERENCE_KINDS:
                raise ValueError(f"Unknown reference data {kind!r}")
            self.cache.delete(name)

    def client_account_ids_cached(self, client_id: int) -> list[int] | None:
        """Account ids last seen for a client (bundles check them against a fresh list)."""
        return self.cache.get(f"client-accounts:{int(client_id)}")

    def remember_client_accounts(self, client_id: int, account_ids: Iterable[int]) -> None:
        self.cache.set(f"client-accounts:{int(client_id)}", sorted(account_ids),
                       self.config.cache_ttl)

    def own_account_id(self) -> int | None:
        """The OMTrader user id of the portal's manager account, from the login it holds
        (None when OMTrader's login answer does not say)."""
        return self.auth.session().account_id

    # WebSocket support for the live relay

    @property
    def ws_url(self) -> str:
        return f"{self.config.ws_url}/ws/v1"

    def new_login_session(self) -> LoginSession:
        """A fresh login of its own (the WebSocket needs a session_id no one else uses)."""
        return self.auth.login()

    def ws_connect_url(self, session: LoginSession) -> str:
        """The socket URL with its credentials in the query: never log it."""
        query = urlencode({"session_id": session.session_id, "access_token": session.access_token})
        return f"{self.ws_url}?{query}"

    def check_ws_session(self, session: LoginSession) -> None:
        """docs/omtrader-api.md §8.1 step 2; Rejected("session is already used") when a socket
        has it."""
        path = self.paths.first("ws_session", id=quote(session.session_id, safe=""))
        self.transport.request("POST", path)

    # Plumbing

    def _call(self, method: str, endpoint: str, *, key: Any = None,
              params: Mapping[str, Any] | None = None, body: Any = None) -> Any:
        ids = {} if key is None else {"id": _id(key)}
        return self.paths.call(endpoint, lambda path: self._send(method, path, params, body), **ids)

    def _send(self, method: str, path: str, params: Any, body: Any) -> Any:
        token = self.auth.token()
        try:
            return self.transport.request(method, path, token=token, params=params, body=body)
        except Unauthorized:
            self.auth.invalidate(token)  # expired or revoked: one new login, one retry
        token = self.auth.token()
        return self.transport.request(method, path, token=token, params=params, body=body)

    def _page(self, endpoint: str, cls: type[T], page: int, limit: int, sort_by: str | None,
              direction: str, filters: Mapping[str, Any], key: Any = None,
              only: frozenset[str] | None = None) -> Page[T]:
        params = {"page": page, "limit": limit, "sort_by": sort_by,
                  "dir": direction.upper() if sort_by else None, **filters}
        return _to_page(cls, self._call("GET", endpoint, key=key, params=params), page, limit,
                        only)

    def _trading(self, endpoint: str, cls: type[T], page: int, limit: int, sort_by: str | None,
                 direction: str, filters: dict[str, Any], dated: bool = False,
                 only: frozenset[str] | None = None) -> Page[T]:
        """`only`: the fields the caller reads (parsing.build); those re-filtered here are
        read too."""
        start, end = _bounds(filters.pop("date_from", None), filters.pop("date_to", None))
        filters.update({"from": _wire_bound(start), "to": _wire_bound(end, upper=True)})
        if only is not None:
            only = only | REFILTERED
        result = self._page(endpoint, cls, page, limit, sort_by, direction, filters, only=only)
        return _refilter(
            result, account_id=filters.get("account_id"), symbol_id=filters.get("symbol_id"),
            created=(start, end) if dated else (None, None),
        )

    def _every(self, endpoint: str, cls: type[T], key: Any = None) -> list[T]:
        def fetch(page: int, limit: int) -> Page[T]:
            return self._page(endpoint, cls, page, limit, None, "ASC", {}, key=key)

        return list(self.iter_all(fetch))

    def _write(self, method: str, endpoint: str, cls: type[T], data: Mapping[str, Any], *,
               key: Any = None, reload: Callable[[], T] | None = None) -> T:
        answer = self._call(method, endpoint, key=key, body=dict(data))
        if isinstance(answer, dict):
            return cls.from_wire(answer)
        if reload is not None:  # a bare "ok" acknowledgement: read back what was stored
            return reload()
        raise BadResponse(f"OMTrader answered {method} {endpoint} without the {cls.__name__}")

    def _forget_client_accounts(self, *client_ids: Any) -> None:
        for client_id in {c for c in client_ids if c is not None}:
            self.cache.delete(f"client-accounts:{_id(client_id)}")


def _id(value: Any) -> int:
    """Ids go into paths: only whole numbers, so no input can reach another path."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"Not an id: {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"Not an id: {value!r}")
    return number


def _to_page(cls: type[T], data: Any, page: int, limit: int,
             only: frozenset[str] | None = None) -> Page[T]:
    total = None
    if isinstance(data, dict) and "records" in data:
        records = data["records"] or []
        total = data.get("total") if isinstance(data.get("total"), int) else None
        page = data["page"] if isinstance(data.get("page"), int) else page
        limit = data["limit"] if isinstance(data.get("limit"), int) else limit
    elif isinstance(data, list):
        records = data
    elif data is None or isinstance(data, str):  # "success": nothing to list
        records = []
    else:
        raise BadResponse(f"OMTrader sent a {cls.__name__} list that is neither a list nor a page")
    items = tuple(build_list(cls, records, only=only))
    if page < 1 or limit < 1 or len(items) > limit:
        has_next = False  # everything on one page (page=-1, or the upstream ignored limit)
    elif total is not None:
        has_next = page * limit < total
    else:
        has_next = len(items) == limit
    return Page(items=items, page=page, limit=limit, total=total, has_next=has_next)


def _refilter(page: Page[T], *, created: tuple[datetime | None, datetime | None] = (None, None),
              **wanted: Any) -> Page[T]:
    """Apply again the filters an upstream may ignore, where a page's correctness hangs on them."""
    checks = [(name, _as_set(value)) for name, value in wanted.items() if value is not None]
    start, end = created

    def keep(item: Any) -> bool:
        if any(getattr(item, name) not in allowed for name, allowed in checks):
            return False
        stamp = item.created_at
        return not ((start and (stamp is None or stamp < start))
                    or (end and (stamp is None or stamp > end)))

    items = tuple(item for item in page.items if keep(item))
    if len(items) == len(page.items):
        return page
    log.debug("omtrader: dropped %d records the upstream did not filter",
              len(page.items) - len(items))
    return replace(page, items=items, total=None)


def _as_set(value: Any) -> set[int]:
    values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    return {_id(v) for v in values}


def _bounds(date_from: Any, date_to: Any) -> tuple[datetime | None, datetime | None]:
    """A date means its whole day in the active time zone; datetimes and strings as given."""
    return _instant(date_from, end=False), _instant(date_to, end=True)


def _instant(value: Any, end: bool) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else parse_datetime(text)
        except (ValueError, WrongType):
            raise ValueError(f"Not a date: {text!r}") from None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):
        start = timezone.make_aware(datetime.combine(value, time()))
        return start + timedelta(days=1, microseconds=-1) if end else start
    raise ValueError(f"Not a date: {value!r}")


def _wire_bound(value: datetime | None, upper: bool = False) -> str | None:
    """Whole seconds in UTC, rounded outwards: the portal trims the edges itself."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    if upper and value.microsecond:
        value += timedelta(seconds=1)
    return wire_time(value.replace(microsecond=0))


_client: OMTraderClient | None = None
_client_lock = threading.Lock()


def get_omtrader() -> OMTraderClient:
    """The process-wide client: one pooled session and one login for every thread."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = OMTraderClient.from_settings()
    return _client


def reset_omtrader() -> None:
    """Forget the process-wide client (tests, or after settings change)."""
    global _client
    with _client_lock:
        old, _client = _client, None
    if old is not None:
        old.close()


@receiver(setting_changed)
def _settings_changed(setting: str, **kwargs: Any) -> None:
    if setting.startswith("OMTRADER_") or setting == "CACHES":
        reset_omtrader()
