"""Where each endpoint lives: docs/omtrader-api.md §5.2's canonical path first, its documented
fallback next.

A fallback is tried only when a path answers 404. The first path that answers (success or a
refusal that shows the route exists) is remembered for the process, so a wrong guess costs
one extra call once. Settings can replace any entry: OMTRADER_PATHS = {"deals":
"/api/v1/trader/deals"} or a list of candidates.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from crmportal.omtrader.errors import NotFound, Rejected

log = logging.getLogger("crmportal.omtrader")
T = TypeVar("T")

M = "/api/v1/manager"
DEFAULT_PATHS: dict[str, tuple[str, ...]] = {
    "login": ("/api/v1/oauth2/login",),
    "ws_session": ("/ws/v1/{id}",),
    "clients": (f"{M}/clients",),
    "client": (f"{M}/clients/{{id}}",),
    "accounts": (f"{M}/accounts",),
    "account": (f"{M}/accounts/{{id}}",),
    "account_money": (f"{M}/accounts/{{id}}/money",),
    "account_transactions": (f"{M}/accounts/{{id}}/transactions/history",),
    "groups": (f"{M}/groups",),
    "group": (f"{M}/group/{{id}}", f"{M}/groups/{{id}}"),
    "group_commissions": (f"{M}/groups/{{id}}/commissions",),
    "commissions": (f"{M}/commissions",),
    "commission": (f"{M}/commissions/{{id}}",),
    "symbols": (f"{M}/symbols",),
    "symbol": (f"{M}/symbols/{{id}}",),
    "group_symbols": (f"{M}/groups/{{id}}/symbols",),
    "group_symbol": (f"{M}/group-symbols/{{id}}",),
    "orders": (f"{M}/orders",),
    "order": (f"{M}/orders/{{id}}",),
    "orders_history": (f"{M}/orders/history",),
    "positions": (f"{M}/positions",),
    "position": (f"{M}/positions/{{id}}",),
    "positions_history": (f"{M}/positions/history",),
    "deals": (f"{M}/deals", "/api/v1/trader/deals"),
    "deal": (f"{M}/deals/{{id}}", "/api/v1/trader/deals/{id}"),
}


def _clean(path: str) -> str:
    """Forgive the reference's typos: missing or doubled leading slash, `:id` placeholders."""
    path = "/" + re.sub(r"/{2,}", "/", path.strip()).lstrip("/")
    return path.replace(":id", "{id}")


class Paths:
    def __init__(self, overrides: Mapping[str, str | Sequence[str]] | None = None):
        self._candidates = dict(DEFAULT_PATHS)
        for name, value in (overrides or {}).items():
            values = (value,) if isinstance(value, str) else tuple(value)
            self._candidates[name] = tuple(_clean(v) for v in values)
        self._working: dict[str, int] = {}
        self._lock = threading.Lock()

    def first(self, endpoint: str, **ids: Any) -> str:
        return self._candidates[endpoint][self._working.get(endpoint, 0)].format(**ids)

    def call(self, endpoint: str, send: Callable[[str], T], **ids: Any) -> T:
        """send(path) on the working path, or on each candidate in turn until one is not 404."""
        candidates = self._candidates[endpoint]
        known = self._working.get(endpoint)
        if known is not None:
            return send(candidates[known].format(**ids))
        for index, template in enumerate(candidates):
            try:
                result = send(template.format(**ids))
            except NotFound:
                if index == len(candidates) - 1:
                    raise
                log.info("omtrader %s: 404 at %s, trying %s", endpoint, template,
                         candidates[index + 1])
                continue
            except Rejected:
                self._remember(endpoint, index)
                raise
            self._remember(endpoint, index)
            return result
        raise AssertionError("unreachable")

    def _remember(self, endpoint: str, index: int) -> None:
        with self._lock:
            if self._working.get(endpoint) != index and index > 0:
                log.info("omtrader %s: using %s", endpoint, self._candidates[endpoint][index])
            self._working[endpoint] = index
