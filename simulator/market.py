"""The moving market: random-walk prices, simulated traders, pending orders, SL/TP, swaps."""

from __future__ import annotations

import math
import random

from . import enums as E
from .hub import Hub
from .ledger import Ledger
from .store import Record, Store
from .symbols import CATALOGUE
from .timeutil import parse_rfc3339

ROLLOVER_SECONDS = 600.0  # one "swap day" every 10 simulated minutes
SL_TP_REASONS = {E.REASON_SL, E.REASON_TP}


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Market:
    def __init__(self, store: Store, ledger: Ledger, hub: Hub, seed: int) -> None:
        self.store = store
        self.ledger = ledger
        self.hub = hub
        self.rng = random.Random(seed * 7919 + 17)
        by_code = {ins.code: ins for ins in CATALOGUE}
        self.vol = {sid: by_code[s["symbol"]].vol for sid, s in store.symbols.items()}
        self.ref = {sid: by_code[s["symbol"]].price for sid, s in store.symbols.items()}
        self._expiry: dict[int, float | None] = {}
        self._traders: list[Record] = []
        self._traders_key = -1

    # -- one step ----------------------------------------------------------------------------

    def step(self, dt: float, event_rate: float) -> None:
        ticked = [sid for sid in self.store.symbols if self.rng.random() < 0.8]
        for sid in ticked:
            self._walk(sid, dt)
        for sid in ticked:
            self._revalue(sid)
        self._pending()
        if self.store.now() >= self.store.next_rollover:
            while self.store.now() >= self.store.next_rollover:
                self.store.next_rollover += ROLLOVER_SECONDS
            self.ledger.rollover()
        for _ in range(poisson(self.rng, event_rate * dt)):
            self._trader_action()
        self.ledger.flush()

    def shock(self, sid: int, pct: float) -> list[float]:
        q = self.store.quotes[sid]
        self._set_mid(sid, (q[0] + q[1]) / 2 * (1 + pct / 100))
        self._revalue(sid)
        self.ledger.flush()
        return q

    # -- prices ------------------------------------------------------------------------------

    def _walk(self, sid: int, dt: float) -> None:
        q = self.store.quotes[sid]
        mid = (q[0] + q[1]) / 2
        drift = (self.ref[sid] - mid) / self.ref[sid] * 0.001 * dt  # gentle pull back home
        mid *= math.exp(self.rng.gauss(drift, self.vol[sid] * math.sqrt(dt)))
        self._set_mid(sid, mid)

    def _set_mid(self, sid: int, mid: float) -> None:
        sym = self.store.symbols[sid]
        digits, point = sym["digits"], sym["tick_size"]
        q = self.store.quotes[sid]
        bid = round(mid - sym["spread"] * point / 2, digits)
        ask = round(bid + sym["spread"] * point, digits)
        volume = q[3] + self.rng.randint(1, 20)
        high, low = max(q[4], ask), min(q[5], bid)
        q[:] = [bid, ask, bid, volume, high, low]
        sym.update(last_bid=bid, last_ask=ask, close=bid, volume=volume,
                   high_bid=max(sym["high_bid"], bid), high_ask=max(sym["high_ask"], ask),
                   low_bid=min(sym["low_bid"], bid), low_ask=min(sym["low_ask"], ask),
                   ts=self.ledger.now_ns() // 1_000_000)
        self.hub.tick(sid, f"{sid},{bid:.{digits}f},{ask:.{digits}f},{bid:.{digits}f},"
                           f"{volume:.0f},{high:.{digits}f},{low:.{digits}f}")

    def _revalue(self, sid: int) -> None:
        """New price -> open positions' P/L, SL/TP hits, and a profit frame per position."""
        positions = self.store.open_by_symbol.get(sid)
        if not positions:
            return
        q = self.store.quotes[sid]
        sym = self.store.symbols[sid]
        hits: list[tuple[Record, int]] = []
        for pos in positions.values():
            acc = self.store.accounts[pos["account_id"]]
            buy = pos["side"] == E.BUY
            price = q[0] if buy else q[1]
            pos["price_current"] = price
            pos["profit"] = self.ledger.profit_for(pos, acc, sym, price)
            pos["total_profit"] = round(pos["profit"] + pos["swaps"] + pos["commission"],
                                        acc["currency_digits"])
            self.ledger.dirty.add(acc["id"])
            if self.hub.wants(acc["group_id"]):
                self.hub.emit_binary(acc["group_id"],
                                     f"s,{pos['id']},{pos['profit']},{pos['total_profit']}")
            sl, tp = pos["price_sl"], pos["price_tp"]
            if sl and (price <= sl if buy else price >= sl):
                hits.append((pos, E.REASON_SL))
            elif tp and (price >= tp if buy else price <= tp):
                hits.append((pos, E.REASON_TP))
        for pos, reason in hits:
            self.ledger.close_position(pos, reason=reason, channel=E.CHANNEL_SYSTEM)

    # -- pending orders ----------------------------------------------------------------------

    def _pending(self) -> None:
        now = self.store.now()
        for order in list(self.store.orders_active.values()):
            oid = order["id"]
            if oid not in self._expiry:
                stamp = order["time_expiration"]
                self._expiry[oid] = parse_rfc3339(stamp) if stamp else None
            expiry = self._expiry[oid]
            if expiry is not None and now >= expiry:
                self.ledger.end_order(order, E.EXPIRED)
            elif order["type"] != E.ORDER_MARKET and self.ledger.triggered(order):
                self.ledger.fill_pending(order)
            else:
                continue
            self._expiry.pop(oid, None)

    # -- simulated traders -------------------------------------------------------------------

    def traders(self) -> list[Record]:
        key = len(self.store.accounts) + 1000 * self.store.seq.get("accounts", 0)
        if key != self._traders_key:
            self._traders = [a for a in self.store.accounts.values()
                             if a["group_id"] in self.store.gs_by_group]
            self._traders_key = key
        return self._traders

    def _trader_action(self) -> None:
        """One simulated client action. Closing and cancelling get likelier as more positions
        and orders are open, so the book settles around a few hundred of each."""
        store = self.store
        n_pos, n_ord = len(store.positions_open), len(store.orders_active)
        weights = (0.6 * n_pos / (n_pos + 400), 0.1 if n_pos else 0.0,
                   0.3 * n_ord / (n_ord + 100), 0.15, 0.3)
        roll = self.rng.random() * sum(weights)
        if roll < weights[0]:
            pos = store.positions_open[self.rng.choice(list(store.positions_open))]
            reason = self.rng.choice((E.REASON_CLIENT, E.REASON_MOBILE, E.REASON_WEB))
            self.ledger.close_position(pos, reason=reason, channel=self.rng.choice((0, 1, 2)))
            return
        roll -= weights[0]
        if roll < weights[1]:
            pos = store.positions_open[self.rng.choice(list(store.positions_open))]
            sl, tp = self._sl_tp(pos["symbol_id"], pos["side"], pos["price_current"])
            self.ledger.modify_position(pos, sl, tp)
            return
        roll -= weights[1]
        if roll < weights[2]:
            order = store.orders_active[self.rng.choice(list(store.orders_active))]
            self.ledger.end_order(order, E.CANCELED)
            return
        roll -= weights[2]
        traders = self.traders()
        if not traders:
            return
        acc = self.rng.choice(traders)
        if roll < weights[3]:
            self._place_pending(acc)
        elif acc["balance"] + acc["credit"] > 0:
            self._open(acc)

    def _tradable(self, acc: Record) -> Record | None:
        rows = self.store.gs_by_group.get(acc["group_id"])
        if not rows:
            return None
        gs = self.rng.choice(list(rows.values()))
        if not gs["enabled"] or gs["trade_level"] in (3, 4):
            return None
        return gs

    def _side(self, gs: Record) -> int:
        if gs["trade_level"] == 1:
            return E.BUY
        if gs["trade_level"] == 2:
            return E.SELL
        return self.rng.choice((E.BUY, E.SELL))

    def _sl_tp(self, sid: int, side: int, price: float) -> tuple[float | None, float | None]:
        if self.rng.random() < 0.5:
            return None, None
        digits = self.store.symbols[sid]["digits"]
        dist = price * self.vol[sid] * math.sqrt(self.rng.uniform(60, 1800)) * 2
        sign = 1 if side == E.BUY else -1
        return round(price - sign * dist, digits), round(price + sign * dist, digits)

    def _open(self, acc: Record) -> None:
        gs = self._tradable(acc)
        if gs is None:
            return
        sym = self.store.symbols[gs["symbol_id"]]
        side = self._side(gs)
        volume = self.ledger.suggest_volume(acc, sym, self.rng.uniform(0.02, 0.3))
        q = self.store.quotes[sym["id"]]
        sl, tp = self._sl_tp(sym["id"], side, q[1] if side == E.BUY else q[0])
        self.ledger.open_market(acc, sym, side, volume,
                                reason=self.rng.choice((E.REASON_CLIENT, E.REASON_MOBILE,
                                                        E.REASON_WEB)),
                                channel=self.rng.choice((0, 1, 2, 3)), sl=sl, tp=tp)

    def _place_pending(self, acc: Record) -> None:
        gs = self._tradable(acc)
        if gs is None:
            return
        sym = self.store.symbols[gs["symbol_id"]]
        side = self._side(gs)
        otype = self.rng.choice((E.BUY_LIMIT, E.BUY_STOP) if side == E.BUY
                                else (E.SELL_LIMIT, E.SELL_STOP))
        q = self.store.quotes[sym["id"]]
        dist = q[0] * self.vol[sym["id"]] * math.sqrt(self.rng.uniform(10, 600))
        above = otype in (E.BUY_STOP, E.SELL_LIMIT)
        price = round(q[0] + dist if above else q[0] - dist, sym["digits"])
        expires = None
        if self.rng.random() < 0.6:
            expires = self.store.now() + self.rng.uniform(60, 1800)
        volume = self.ledger.suggest_volume(acc, sym, self.rng.uniform(0.02, 0.2))
        self.ledger.place_pending(acc, sym, otype, volume, price, expires_at=expires)
