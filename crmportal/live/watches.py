"""What the sockets watch: their views, and the relay's inbox where they ask for snapshots.

A socket's snapshot request (`live.snapshot.request` on `live.relay`) registers its view; it
renews it with `live.watch` every 30 s and a view nobody renewed for WATCH_TTL is forgotten.
With nobody watching, the flush renders nothing (flush.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from crmportal.live.publish import (
    ALL,
    LISTS,
    Publisher,
    account_audience,
    client_audience,
    dashboard_audience,
    group_audience,
    list_audience,
)
from crmportal.live.render import Scope
from crmportal.live.state import BoardState

log = logging.getLogger("crmportal.live")

WATCH_TTL = 75.0


@dataclass(frozen=True)
class Watch:
    """What one socket shows: the board (all groups, or some), one client's positions, one
    account's money (its group in `groups`), the dashboard's live counts, or a trading list
    (open positions or pending orders of the groups in scope)."""

    kind: str  # board, client, account, dashboard, positions or orders
    groups: frozenset[int] | None  # None: every group
    client: int | None = None
    account: int | None = None

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Watch:
        groups = data.get("groups")
        client = data.get("client")
        account = data.get("account")
        kind = "account" if account is not None else "client" if client is not None else "board"
        named = data.get("kind")
        return cls(
            kind=named if named in ("dashboard", *LISTS) else kind,
            groups=None if groups is None else frozenset(int(g) for g in groups),
            client=None if client is None else int(client),
            account=None if account is None else int(account),
        )

    def to_message(self) -> dict[str, Any]:
        message = {"groups": None if self.groups is None else sorted(self.groups),
                   "client": self.client}
        if self.account is not None:
            message["account"] = self.account
        if self.kind in ("dashboard", *LISTS):
            message["kind"] = self.kind  # board and client views are told by `client`
        return message

    def audiences(self) -> list[str]:
        if self.kind == "account":
            return [account_audience(self.account, g) for g in sorted(self.groups or ())]
        if self.kind == "dashboard":
            if self.groups is None:
                return [dashboard_audience(None)]
            return [dashboard_audience(g) for g in sorted(self.groups)]
        if self.kind in LISTS:
            if self.groups is None:
                return [list_audience(self.kind, None)]
            return [list_audience(self.kind, g) for g in sorted(self.groups)]
        if self.kind == "client":
            return [client_audience(self.client, g) for g in sorted(self.groups or ())]
        if self.groups is None:
            return [ALL]
        return [group_audience(g) for g in sorted(self.groups)]


class Watching:
    """The Relay's inbox and watch registry (a part of Relay, see relay.py for the state)."""

    boards: dict[frozenset[int] | None, float]  # watched board views -> expiry
    clients: dict[int, float]  # watched clients -> expiry
    accounts_watched: dict[int, float]  # watched account pages -> expiry
    dashboards: dict[frozenset[int] | None, float]  # watched dashboard counts -> expiry
    lists_watched: dict[str, float]  # watched trading lists (positions, orders) -> expiry
    counts: dict[str, dict[str, int]]  # scope key -> the dashboard counts as last published
    state: BoardState
    publisher: Publisher
    counters: Any
    layer: Any
    channel_name: str
    ready: bool
    _publish: asyncio.Lock
    _stale_scopes: set[str]

    async def _inbox(self) -> None:
        while True:
            message = await self.layer.receive(self.channel_name)
            try:
                await self.handle(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad request must not end the relay
                log.exception("live relay: could not handle %s", message.get("type"))

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind not in ("live.snapshot.request", "live.watch"):
            return
        view = Watch.from_message(message["view"])
        self._watch(view)
        if kind == "live.snapshot.request":
            since = since_of(message.get("since"))
            parts = self.snapshot_parts(view, since)
            self.counters.snapshots += 1
            # A list's socket asks from here next time (the relay's clock, lists.py).
            at = time.time() if view.kind in LISTS and self.ready else None
            async with self._publish:
                await self.publisher.snapshot(message["reply_to"], view.audiences(), parts, at)

    def _watch(self, view: Watch) -> None:
        expiry = time.monotonic() + WATCH_TTL
        if view.kind == "client":
            self.clients[view.client] = expiry
        elif view.kind == "account":
            self.accounts_watched[view.account] = expiry
        elif view.kind == "dashboard":
            self.dashboards[view.groups] = expiry
        elif view.kind in LISTS:
            self.lists_watched[view.kind] = expiry
        else:
            if view.groups not in self.boards:
                for scope in self._scopes_of(view.groups):
                    self._stale_scopes.add(scope.key)
            self.boards[view.groups] = expiry

    def _prune_watches(self, now: float) -> bool:
        """Forget views nobody renewed; True when a board or client panel is watched (rows
        are rendered for those only: account pages and dashboards are told by other means)."""
        for watched in (self.boards, self.clients, self.accounts_watched, self.dashboards,
                        self.lists_watched):
            for key in [k for k, expiry in watched.items() if expiry < now]:
                del watched[key]
        return bool(self.boards or self.clients)

    def _scopes_of(self, groups: frozenset[int] | None) -> list[Scope]:
        if groups is None:
            return [Scope.all()]
        named = len(groups) > 1
        return [Scope.group(g, self.state.group_name(g) if named else "") for g in sorted(groups)]

    def _watched_scopes(self) -> list[Scope]:
        scopes: dict[str, Scope] = {}
        for groups in self.boards:
            for scope in self._scopes_of(groups):
                scopes.setdefault(scope.key, scope)
        return list(scopes.values())


def since_of(value: Any) -> float | None:
    """A list socket's `since` (seconds since the epoch), or None when it is not a number."""
    try:
        since = float(value)
    except (TypeError, ValueError):
        return None
    return since if math.isfinite(since) else None
