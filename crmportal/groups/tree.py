"""The group tree page's figures: per group, its accounts, open positions, balance and equity,
from one read of every account and every open position (two calls, together)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from crmportal.omtrader.concurrent import start
from crmportal.omtrader.entities import Group, Position, TradingAccount, group_tree


@dataclass
class Figures:
    accounts: int = 0
    positions: int = 0
    balance: Decimal = Decimal(0)
    equity: Decimal = Decimal(0)


@dataclass(frozen=True)
class Row:
    group: Group
    depth: int
    figures: Figures = field(default_factory=Figures)


def figures_by_group(accounts: Iterable[TradingAccount],
                     positions: Iterable[Position]) -> dict[int, Figures]:
    by_group: dict[int, Figures] = {}
    group_of: dict[int, int | None] = {}
    for account in accounts:
        group_of[account.id] = account.group_id
        figures = by_group.setdefault(account.group_id, Figures())
        figures.accounts += 1
        figures.balance += account.balance or 0
        figures.equity += account.equity or 0
    for position in positions:
        group_id = group_of.get(position.account_id)
        if group_id is not None:
            by_group.setdefault(group_id, Figures()).positions += 1
    return by_group


FIGURES_KEY = "group-figures"


def figures(omt) -> tuple[dict[int, Figures], datetime]:
    """Every group's figures and when they were read. Reading and parsing every account costs
    several round trips' worth of CPU (about 0.3 s for 800 accounts), so they are kept for
    GROUP_FIGURES_MAX_AGE seconds (one reader per process at a time) and dropped when the
    portal changes a group (its stop-outs move them)."""

    def read() -> tuple[dict[int, Figures], datetime]:
        got = start(accounts=lambda: list(omt.iter_all(omt.list_accounts)),
                    positions=lambda: list(omt.iter_all(omt.list_positions))).wait()
        return figures_by_group(got["accounts"], got["positions"]), timezone.now()

    return omt.cache.get_or_fetch(FIGURES_KEY, read, settings.GROUP_FIGURES_MAX_AGE)


def forget_figures(omt) -> None:
    omt.cache.delete(FIGURES_KEY)


def rows(groups: Sequence[Group], figures: dict[int, Figures]) -> list[Row]:
    """The tree flattened for a table: each root, then its children indented under it. A group
    whose parent is not shown (outside the scope) is a root here."""
    flat: list[Row] = []

    def walk(group: Group, depth: int) -> None:
        flat.append(Row(group, depth, figures.get(group.id, Figures())))
        for child in sorted(group.children, key=lambda g: g.id):
            walk(child, depth + 1)

    for root in sorted(group_tree(groups), key=lambda g: g.id):
        walk(root, 0)
    return flat
