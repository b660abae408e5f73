"""Multi-call reads that pages need, at the cost of about one round trip.

client_overview() ("client 360"): the client, its accounts, their open positions, recent deals
and recent transactions. The account ids a client had last time are cached, so everything
can be asked for at once; the fresh account list fetched alongside is the truth, and accounts
the cache did not know get a second, smaller fan-out (accounts it wrongly knew are dropped).

`shown` limits the bundle to some of the client's accounts (the caller's group scope): the
others' positions, deals and transactions are dropped, and when that leaves fewer recent deals
than asked for, the deals of the shown accounts alone are read again.

The client and its accounts are needed (group scope is decided on them): their errors are
raised. Positions, deals and transactions are panels of their own: if one cannot be read
(after the transport's retries), the bundle still answers, the panel is empty and `failed`
names it with the error, so the page shows what it could load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crmportal.omtrader.client import OMTraderClient
from crmportal.omtrader.concurrent import gather, start
from crmportal.omtrader.entities import Client, Deal, Position, TradingAccount, Transaction
from crmportal.omtrader.errors import OMTraderError

log = logging.getLogger("crmportal.omtrader")
PANELS = ("positions", "deals", "transactions")


@dataclass(frozen=True, slots=True)
class ClientOverview:
    client: Client
    accounts: tuple[TradingAccount, ...]
    positions: tuple[Position, ...]  # open, of every account
    deals: tuple[Deal, ...]  # the most recent first, of every account
    transactions: dict[int, tuple[Transaction, ...]] = field(default_factory=dict)  # per account
    failed: dict[str, OMTraderError] = field(default_factory=dict)  # panel -> why it is empty


@dataclass(frozen=True, slots=True)
class _Failed:
    error: OMTraderError


def client_overview(
    omt: OMTraderClient, client_id: int, *, recent: int = 20, since: datetime | None = None,
    accounts_limit: int = 100, shown: Callable[[TradingAccount], bool] | None = None,
) -> ClientOverview:
    return begin_client_overview(omt, client_id, recent=recent, since=since,
                                 accounts_limit=accounts_limit, shown=shown)()


def begin_client_overview(
    omt: OMTraderClient, client_id: int, *, recent: int = 20, since: datetime | None = None,
    accounts_limit: int = 100, shown: Callable[[TradingAccount], bool] | None = None,
) -> Callable[[], ClientOverview]:
    """Send the overview's calls off now; the returned function waits for the overview (the
    caller does its own database work in between)."""
    known = omt.client_account_ids_cached(client_id) or []
    pending = start(
        client=lambda: omt.get_client(client_id),
        accounts=lambda: omt.list_accounts(client_id=client_id, limit=accounts_limit),
        **_account_calls(omt, known, recent, since),
    )
    return lambda: _overview(omt, client_id, known, pending.wait(), recent, since, shown)


def _overview(
    omt: OMTraderClient, client_id: int, known: list[int], got: dict[str, Any], recent: int,
    since: datetime | None, shown: Callable[[TradingAccount], bool] | None,
) -> ClientOverview:
    accounts = tuple(got["accounts"].items)
    ids = [a.id for a in accounts]
    missing = [i for i in ids if i not in known]
    if missing:
        got = _merge(got, gather(**_account_calls(omt, missing, recent, since)))
    if sorted(ids) != sorted(known):
        omt.remember_client_accounts(client_id, ids)
    wanted = {a.id for a in accounts if shown is None or shown(a)}
    if (wanted != set(ids) and wanted and not isinstance(got.get("deals"), _Failed)
            and len(_of(got.get("deals", ()), wanted)) < recent):
        got["deals"] = _panel(lambda: omt.list_deals(
            account_id=sorted(wanted), limit=recent, sort_by="created_at", direction="DESC",
            date_from=since,
        ).items)()
    failed: dict[str, OMTraderError] = {}
    for name, value in got.items():
        if isinstance(value, _Failed):
            panel = "transactions" if name.startswith("tx:") else name
            failed.setdefault(panel, value.error)
            got[name] = ()
    for panel, error in failed.items():
        log.warning("client %s overview: %s not loaded (%s)", client_id, panel, error.message)
    deals = sorted(
        _of(got.get("deals", ()), wanted),
        key=lambda d: (d.created_at is not None, d.created_at, d.id),
        reverse=True,
    )
    return ClientOverview(
        client=got["client"],
        accounts=accounts,
        positions=tuple(_of(got.get("positions", ()), wanted)),
        deals=tuple(deals[:recent]),
        transactions={i: tuple(got.get(f"tx:{i}", ())) for i in ids if i in wanted},
        failed=failed,
    )


def _panel(call: Callable[[], Any]) -> Callable[[], Any]:
    """A panel's read: its error becomes a _Failed value instead of failing the bundle."""
    def read() -> Any:
        try:
            return call()
        except OMTraderError as error:
            return _Failed(error)
    return read


def _account_calls(
    omt: OMTraderClient, ids: list[int], recent: int, since: datetime | None
) -> dict[str, Any]:
    if not ids:
        return {}
    calls: dict[str, Any] = {
        "positions": _panel(lambda: omt.list_positions(account_id=ids, limit=1000).items),
        "deals": _panel(lambda: omt.list_deals(
            account_id=ids, limit=recent, sort_by="created_at", direction="DESC", date_from=since
        ).items),
    }
    for account_id in ids:
        calls[f"tx:{account_id}"] = _panel(lambda a=account_id: omt.list_transactions(
            a, limit=recent, sort_by="created_at", direction="DESC", date_from=since
        ).items)
    return calls


def _of(records: Iterable[Any], account_ids: set[int]) -> list[Any]:
    return [record for record in records if record.account_id in account_ids]


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    merged = dict(first)
    for name, value in second.items():
        if name in ("positions", "deals"):
            earlier = first.get(name, ())
            failure = next((v for v in (earlier, value) if isinstance(v, _Failed)), None)
            merged[name] = failure or tuple(_chain(earlier, value))
        else:
            merged[name] = value
    return merged


def _chain(*parts: Iterable[Any]) -> list[Any]:
    return [item for part in parts for item in part]
