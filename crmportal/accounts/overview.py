"""The account page's reads in about one round trip: the account and every panel are asked
for at once (the panels are read by account id, so none waits for the account); the caller
decides scope on the account before it uses any panel. A panel that fails is empty and named
in `failed`; the account itself is required."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crmportal.omtrader.bundles import _Failed, _panel
from crmportal.omtrader.concurrent import start
from crmportal.omtrader.entities import Deal, Group, Order, Position, TradingAccount, Transaction
from crmportal.omtrader.errors import OMTraderError

PANELS = ("positions", "orders", "deals", "transactions", "groups")


@dataclass(frozen=True)
class AccountOverview:
    account: TradingAccount
    positions: tuple[Position, ...] = ()
    orders: tuple[Order, ...] = ()
    deals: tuple[Deal, ...] = ()  # the most recent first
    transactions: tuple[Transaction, ...] = ()  # the most recent first
    groups: tuple[Group, ...] = ()
    failed: dict[str, OMTraderError] = field(default_factory=dict)

    @property
    def group(self) -> Group | None:
        return next((g for g in self.groups if g.id == self.account.group_id), None)


def begin_account_overview(omt, account_id: int, *,
                           recent: int = 20) -> Callable[[], AccountOverview]:
    """Send every call off now; the returned function waits for the overview."""
    pending = start(
        account=lambda: omt.get_account(account_id),
        positions=_panel(lambda: omt.list_positions(account_id=account_id, limit=1000).items),
        orders=_panel(lambda: omt.list_orders(account_id=account_id, limit=1000).items),
        deals=_panel(lambda: omt.list_deals(account_id=account_id, limit=recent,
                                            sort_by="created_at", direction="DESC").items),
        transactions=_panel(lambda: omt.list_transactions(
            account_id, limit=recent, sort_by="created_at", direction="DESC").items),
        groups=_panel(omt.groups_cached),
    )
    return lambda: _overview(pending.wait(), recent)


def _overview(got: dict[str, Any], recent: int) -> AccountOverview:
    failed = {name: got[name].error for name in PANELS if isinstance(got[name], _Failed)}
    panels = {name: () if name in failed else tuple(got[name]) for name in PANELS}

    def newest(rows):
        return tuple(sorted(rows, key=lambda r: (r.created_at is not None, r.created_at, r.id),
                            reverse=True)[:recent])

    panels["deals"] = newest(panels["deals"])
    panels["transactions"] = newest(panels["transactions"])
    return AccountOverview(account=got["account"], failed=failed, **panels)
