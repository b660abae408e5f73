"""The running simulator: state, knobs, counters and the parts that share them."""

from __future__ import annotations

import copy
import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import seed
from .auth import Auth
from .config import Options
from .hub import Hub
from .ledger import Ledger
from .market import Market
from .store import Store


@dataclass
class Counters:
    requests: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    logins: int = 0
    ws_open: int = 0
    ws_total: int = 0
    events_sent: int = 0
    connections: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"requests": dict(self.requests), "logins": self.logins, "ws_open": self.ws_open,
                "ws_total": self.ws_total, "events_sent": self.events_sent,
                "connections": self.connections}

    def reset(self) -> None:
        self.requests.clear()
        self.logins = self.ws_total = self.events_sent = self.connections = 0


class Simulator:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.initial_knobs = copy.deepcopy(options.knobs)
        self.knobs = options.knobs
        self.counters = Counters()
        self.auth = Auth(options.users)
        self.hub = Hub(self.counters)
        self.faults: list[dict[str, Any]] = []
        self.saved_version = -1
        self.api_dirty = False
        store = None
        if options.state and os.path.exists(options.state):
            store = Store.read(options.state)
        self._install(store or seed.build(options.seed, options.extra_deals))
        self.api_dirty = store is None and bool(options.state)

    def _install(self, store: Store) -> None:
        self.store = store
        self.ledger = Ledger(store, self.hub)
        self.market = Market(store, self.ledger, self.hub, self.options.seed)

    def reset(self) -> None:
        """Seeded state, initial knobs, zero counters, no faults. Sessions and sockets stay."""
        self._install(seed.build(self.options.seed, self.options.extra_deals))
        self.knobs.__dict__.update(copy.deepcopy(self.initial_knobs).__dict__)
        self.counters.reset()
        self.faults.clear()
        self.changed()

    def changed(self) -> None:
        """An API write: persisted promptly (market churn is persisted less often)."""
        self.store.version += 1
        self.api_dirty = True


SIM = web.AppKey("simulator", Simulator)
