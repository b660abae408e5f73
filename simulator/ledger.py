"""Trading and money operations. Every entry and exit writes a deal; every change is an event.

Amounts are in the account currency and rounded to its digits. Commissions and swaps are
signed amounts added to the balance (negative = charge), as MT-style deals carry them.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from . import enums as E
from .entities import DEAL_FIELDS, ORDER_FIELDS, POSITION_FIELDS, TRANSACTION_FIELDS, blank
from .store import Record, Store
from .symbols import CALC_CFD
from .timeutil import rfc3339


class Bus(Protocol):
    def wants(self, group_id: int) -> bool: ...

    def emit(self, group_id: int, type_: str, data: Any) -> None: ...

    def emit_binary(self, group_id: int, payload: str) -> None: ...


class NullBus:
    def wants(self, group_id: int) -> bool:
        return False

    def emit(self, group_id: int, type_: str, data: Any) -> None:
        pass

    def emit_binary(self, group_id: int, payload: str) -> None:
        pass


class Rejected(Exception):
    """A trade or transfer refused by a money rule; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# Not documented by OMTrader: the simulator's name for the account-summary event.
ACCOUNT_SUMMARY_EVENT = "account_summary"
SUMMARY_FIELDS = (
    "id", "group_id", "client_id", "currency", "currency_digits", "balance", "credit", "equity",
    "margin", "margin_free", "margin_level", "profit", "liqudation_status", "updated_at",
)


def account_summary(acc: Record) -> dict[str, Any]:
    return {k: acc[k] for k in SUMMARY_FIELDS}


class Ledger:
    def __init__(self, store: Store, bus: Bus) -> None:
        self.store = store
        self.bus = bus
        self.dirty: set[int] = set()
        self.fixed_ns: int | None = None  # set while seeding history
        self._usd: dict[str, tuple[int, bool]] = {}
        for sym in store.symbols.values():
            code = sym["symbol"]
            if code.endswith("USD") and len(code) == 6:
                self._usd[code[:3]] = (sym["id"], False)
            elif code.startswith("USD") and len(code) == 6:
                self._usd[code[3:]] = (sym["id"], True)

    # -- time and conversion -----------------------------------------------------------------

    def now_ns(self) -> int:
        return self.fixed_ns if self.fixed_ns is not None else self.store.now_ns()

    def stamp(self) -> str:
        return rfc3339(self.now_ns())

    def usd_value(self, ccy: str) -> float:
        if ccy == "USD":
            return 1.0
        ref = self._usd.get(ccy)
        if ref is None:
            return 1.0
        q = self.store.quotes[ref[0]]
        mid = (q[0] + q[1]) / 2
        return 1.0 / mid if ref[1] else mid

    def rate(self, ccy: str, to: str) -> float:
        if ccy == to:
            return 1.0
        return self.usd_value(ccy) / self.usd_value(to)

    def group_symbol(self, acc: Record, sid: int) -> Record | None:
        return self.store.gs_by_group.get(acc["group_id"], {}).get(sid)

    def leverage(self, acc: Record) -> int:
        group = self.store.groups[acc["group_id"]]
        return acc["leverage"] or group["default_leverage"] or 100

    def margin_for(self, acc: Record, sym: Record, volume: float, price: float) -> float:
        gs = self.group_symbol(acc, sym["id"])
        rate_init = gs["margin_initial"] if gs else sym["margin_initial"]
        notional = volume * sym["contract_size"] * price
        margin = notional * rate_init
        if sym["calculation"] != CALC_CFD:
            margin /= self.leverage(acc)
        return margin * self.rate(sym["quote_currency"], acc["currency"])

    def profit_for(self, pos: Record, acc: Record, sym: Record, close: float) -> float:
        sign = 1.0 if pos["side"] == E.BUY else -1.0
        raw = (close - pos["price_open"]) * pos["volume_current"] * pos["contract_size"] * sign
        return round(raw * self.rate(sym["quote_currency"], acc["currency"]),
                     acc["currency_digits"])

    def suggest_volume(self, acc: Record, sym: Record, fraction: float) -> float:
        """A volume that ties up about `fraction` of the account's free margin."""
        self.refresh(acc)
        per_lot = self.margin_for(acc, sym, 1.0, self.store.quotes[sym["id"]][1]) or 1.0
        step = sym["step"]
        lots = math.floor(max(acc["margin_free"], 0.0) * fraction / per_lot / step) * step
        return round(min(max(sym["min_value"], lots), sym["max_value"]), 2)

    def commission_for(self, acc: Record, sym: Record, side: int, volume: float, price: float,
                       entry: bool) -> float:
        total = 0.0
        for com in self.store.commissions_by_group.get(acc["group_id"], {}).values():
            if com["symbol_class_id"] not in (0, None, sym["symbol_class_id"]):
                continue
            action = com["mode_action"] or E.ACTION_BOTH
            if (action == E.ACTION_BUY and side != E.BUY) or (
                action == E.ACTION_SELL and side != E.SELL
            ):
                continue
            when = com["mode_entry"] or E.CHARGE_BOTH
            if (when == E.CHARGE_ENTRY and not entry) or (when == E.CHARGE_EXIT and entry):
                continue
            total += self._tier_fee(com, acc, sym, volume, price)
        return -round(total, acc["currency_digits"])

    def _tier_fee(self, com: Record, acc: Record, sym: Record, volume: float,
                  price: float) -> float:
        for tier in com["commission_tiers"]:
            low = tier["range_from"] or 0.0
            high = tier["range_to"] or float("inf")
            if not low <= volume < high:
                continue
            ccy = tier["currency"] or acc["currency"]
            if tier["type"] == E.TIER_PER_TRADE:
                fee = tier["value"] * self.rate(ccy, acc["currency"])
            elif tier["type"] == E.TIER_PERCENT:
                notional = volume * sym["contract_size"] * price
                fee = notional * tier["value"] / 100 * self.rate(sym["quote_currency"],
                                                                 acc["currency"])
            else:
                fee = tier["value"] * volume * self.rate(ccy, acc["currency"])
            if tier["min"]:
                fee = max(fee, tier["min"])
            if tier["max"]:
                fee = min(fee, tier["max"])
            return fee
        return 0.0

    # -- records -----------------------------------------------------------------------------

    def _order(self, acc: Record, sym: Record, otype: int, side: int, volume: float,
               price: float, reason: int, **extra: Any) -> Record:
        now = self.stamp()
        oid = self.store.next_id("orders")
        order = blank(
            ORDER_FIELDS, id=oid, account_id=acc["id"], symbol_id=sym["id"], type=otype,
            side=side, status=E.PLACED, reason=reason, volume_initial=volume,
            volume_current=volume, volume_initial_ext=volume, volume_current_ext=volume,
            price_order=price, price_trigger=0.0, price_current=price,
            expiration_policy=E.GTC, type_fill=0, type_time=0, time_setup=now,
            position_id=0, position_by_id=0, exit_level=0, exit_profit=0.0, exit_loos=0.0,
            digits=sym["digits"], digits_currency=acc["currency_digits"],
            contract_size=sym["contract_size"], rate_margin=1.0, dealer_id=0,
            external_id=f"sim-o{oid}", comment="", created_at=now, updated_at=now,
            created_by=acc["user_id"], updated_by=acc["user_id"],
        )
        order.update(extra)
        return order

    def _deal(self, acc: Record, sym: Record | None, **values: Any) -> Record:
        now = self.stamp()
        did = self.store.next_id("deals")
        q = self.store.quotes.get(sym["id"]) if sym else None
        deal = blank(
            DEAL_FIELDS, id=did, external_id=f"sim-d{did}", account_id=acc["id"], dealer_id=0,
            order_id=0, position_id=0, symbol_id=sym["id"] if sym else 0,
            digits=sym["digits"] if sym else acc["currency_digits"],
            digits_currency=acc["currency_digits"],
            contract_size=sym["contract_size"] if sym else 0.0, price=0.0, price_position=0.0,
            volume=0.0, closed_volume=0.0, external_volume=0.0, external_volume_closed=0.0,
            profit=0.0, profit_raw=0.0, commission=0.0, swap=0.0, fee=0.0, storage=0.0,
            tick_value=sym["tick_value"] if sym else 0.0,
            tick_size=sym["tick_size"] if sym else 0.0,
            market_bid=q[0] if q else 0.0, market_ask=q[1] if q else 0.0,
            market_last=q[2] if q else 0.0, comment="", channel=E.CHANNEL_SYSTEM,
            created_at=now, updated_at=now, created_by=acc["user_id"], updated_by=acc["user_id"],
        )
        deal.update(values)
        self.store.add_deal(deal)
        self._emit(acc, "deals_create", deal)
        return deal

    def _emit(self, acc: Record, type_: str, data: Any) -> None:
        self.store.version += 1
        if self.bus.wants(acc["group_id"]):
            self.bus.emit(acc["group_id"], type_, data)

    def _book(self, acc: Record, amount: float) -> None:
        acc["balance"] = round(acc["balance"] + amount, acc["currency_digits"])
        self.dirty.add(acc["id"])

    # -- trading -----------------------------------------------------------------------------

    def open_market(self, acc: Record, sym: Record, side: int, volume: float, *,
                    reason: int = E.REASON_CLIENT, channel: int = E.CHANNEL_WEB,
                    sl: float | None = None, tp: float | None = None, comment: str = "",
                    order: Record | None = None) -> Record | None:
        """Fill a market order (or a triggered pending `order`); None when rejected."""
        q = self.store.quotes[sym["id"]]
        price = q[1] if side == E.BUY else q[0]
        if order is None:
            order = self._order(acc, sym, E.ORDER_MARKET, side, volume, price, reason,
                                price_sl=sl, price_tp=tp, comment=comment)
            self.store.add_order(order)
            self._emit(acc, "orders_place", order)
        margin = self.margin_for(acc, sym, volume, price)
        self.refresh(acc)
        if margin > acc["margin_free"]:
            order.update(status=E.REJECTED, time_done=self.stamp(), updated_at=self.stamp(),
                         volume_current=volume, comment=order["comment"] or "not enough money")
            self.store.finish_order(order)
            self._emit(acc, "orders_rejected", order)
            return None
        now = self.stamp()
        pid = self.store.next_id("positions")
        commission = self.commission_for(acc, sym, side, volume, price, entry=True)
        pos = blank(
            POSITION_FIELDS, id=pid, external_id=f"sim-p{pid}", account_id=acc["id"],
            dealer_id=0, symbol_id=sym["id"], action=side, side=side, status=E.POS_OPEN,
            reason=reason, digits=sym["digits"], digits_currency=acc["currency_digits"],
            contract_size=sym["contract_size"], price_open=price,
            price_current=q[0] if side == E.BUY else q[1], price_sl=sl, price_tp=tp,
            profit=0.0, total_profit=commission, swaps=0.0, commission=commission, storage=0.0,
            rate_profit=self.rate(sym["quote_currency"], acc["currency"]),
            rate_margin=self.rate(sym["quote_currency"], acc["currency"]), exit_level=0,
            exit_profit=0.0, exit_loos=0.0, volume_initial=volume, volume_current=volume,
            volume_initial_ext=volume, volume_current_ext=volume, comment=order["comment"],
            created_at=now, updated_at=now, created_by=acc["user_id"],
            updated_by=acc["user_id"],
        )
        pos["profit"] = self.profit_for(pos, acc, sym, pos["price_current"])
        pos["total_profit"] = round(pos["profit"] + commission, acc["currency_digits"])
        self.store.add_position(pos, margin)
        order.update(status=E.FILLED, volume_current=0.0, volume_current_ext=0.0,
                     position_id=pid, time_done=now, updated_at=now, price_current=price)
        self.store.finish_order(order)
        self._emit(acc, "orders_update", order)
        self._emit(acc, "positions_open", pos)
        self._deal(acc, sym, order_id=order["id"], position_id=pid, action=side,
                   entry=E.ENTRY_IN, direction=E.DIRECTION_IN, side=side, reason=reason,
                   channel=channel, price=price, price_position=price, price_sl=sl, price_tp=tp,
                   volume=volume, external_volume=volume, commission=commission,
                   comment=order["comment"])
        self._book(acc, commission)
        return pos

    def close_position(self, pos: Record, *, reason: int = E.REASON_CLIENT,
                       channel: int = E.CHANNEL_WEB) -> Record:
        acc = self.store.accounts[pos["account_id"]]
        sym = self.store.symbols[pos["symbol_id"]]
        q = self.store.quotes[sym["id"]]
        price = q[0] if pos["side"] == E.BUY else q[1]
        exit_side = E.SELL if pos["side"] == E.BUY else E.BUY
        volume = pos["volume_current"]
        profit = self.profit_for(pos, acc, sym, price)
        commission = self.commission_for(acc, sym, exit_side, volume, price, entry=False)
        swaps = pos["swaps"]
        order = self._order(acc, sym, E.ORDER_MARKET, exit_side, volume, price, reason,
                            status=E.FILLED, volume_current=0.0, volume_current_ext=0.0,
                            position_id=pos["id"], time_done=self.stamp())
        self.store.add_order(order)
        now = self.stamp()
        digits = acc["currency_digits"]
        pos.update(status=E.POS_CLOSED, reason=reason, price_current=price, profit=profit,
                   commission=round(pos["commission"] + commission, digits),
                   volume_current=0.0, volume_current_ext=0.0, updated_at=now)
        pos["total_profit"] = round(profit + pos["swaps"] + pos["commission"], digits)
        self.store.close_position(pos)
        self._emit(acc, "positions_close", pos)
        self._deal(acc, sym, order_id=order["id"], position_id=pos["id"], action=exit_side,
                   entry=E.ENTRY_OUT, direction=E.DIRECTION_OUT, side=exit_side, reason=reason,
                   channel=channel, price=price, price_position=pos["price_open"],
                   price_sl=pos["price_sl"], price_tp=pos["price_tp"], volume=volume,
                   closed_volume=volume, external_volume=volume, external_volume_closed=volume,
                   profit=profit, profit_raw=profit, commission=commission, swap=swaps)
        net = round(profit + commission + swaps, digits)
        self._book(acc, net)
        self._track_period(acc, net)
        return pos

    def _track_period(self, acc: Record, amount: float) -> None:
        stamp = self.stamp()
        day, month = stamp[:10], stamp[:7]
        week = str(self.now_ns() // (7 * 86400 * 10**9))
        last = self.store.period.get(acc["id"], ("", "", ""))
        digits = acc["currency_digits"]
        for key, field, prev in ((day, "day_profit", last[0]), (week, "week_profit", last[1]),
                                 (month, "month_profit", last[2])):
            base = acc[field] if key == prev else 0.0
            acc[field] = round(base + amount, digits)
        self.store.period[acc["id"]] = (day, week, month)

    def place_pending(self, acc: Record, sym: Record, otype: int, volume: float, price: float,
                      *, expires_at: float | None = None, sl: float | None = None,
                      tp: float | None = None, reason: int = E.REASON_CLIENT) -> Record:
        side = E.BUY if otype in (E.BUY_LIMIT, E.BUY_STOP) else E.SELL
        q = self.store.quotes[sym["id"]]
        extra: dict[str, Any] = {"price_sl": sl, "price_tp": tp,
                                 "price_current": q[1] if side == E.BUY else q[0]}
        if expires_at is not None:
            extra["expiration_policy"] = E.SPECIFIED_TIME
            extra["time_expiration"] = rfc3339(int(expires_at * 1e9))
        order = self._order(acc, sym, otype, side, volume, price, reason, **extra)
        self.store.add_order(order)
        self._emit(acc, "orders_place", order)
        return order

    def triggered(self, order: Record) -> bool:
        q = self.store.quotes[order["symbol_id"]]
        otype, price = order["type"], order["price_order"]
        if otype == E.BUY_LIMIT:
            return q[1] <= price
        if otype == E.BUY_STOP:
            return q[1] >= price
        if otype == E.SELL_LIMIT:
            return q[0] >= price
        return q[0] <= price

    def fill_pending(self, order: Record) -> Record | None:
        acc = self.store.accounts[order["account_id"]]
        sym = self.store.symbols[order["symbol_id"]]
        order["status"] = E.STARTED
        return self.open_market(acc, sym, order["side"], order["volume_initial"],
                                reason=order["reason"], sl=order["price_sl"],
                                tp=order["price_tp"], order=order)

    def end_order(self, order: Record, status: int) -> None:
        acc = self.store.accounts[order["account_id"]]
        now = self.stamp()
        order.update(status=status, time_done=now, updated_at=now)
        self.store.finish_order(order)
        self._emit(acc, "orders_expired" if status == E.EXPIRED else "orders_cancel", order)

    def modify_position(self, pos: Record, sl: float | None, tp: float | None) -> None:
        pos.update(price_sl=sl, price_tp=tp, updated_at=self.stamp())
        self._emit(self.store.accounts[pos["account_id"]], "positions_update", pos)

    def rollover(self) -> None:
        """Charge one day of swaps to every open position (floating until the exit)."""
        for pos in list(self.store.positions_open.values()):
            acc = self.store.accounts[pos["account_id"]]
            sym = self.store.symbols[pos["symbol_id"]]
            gs = self.group_symbol(acc, sym["id"])
            points = (gs or sym)["swap_long" if pos["side"] == E.BUY else "swap_short"]
            amount = points * sym["tick_size"] * sym["contract_size"] * pos["volume_current"]
            amount = round(amount * self.rate(sym["quote_currency"], acc["currency"]),
                           acc["currency_digits"])
            if not amount:
                continue
            digits = acc["currency_digits"]
            pos["swaps"] = round(pos["swaps"] + amount, digits)
            pos["total_profit"] = round(pos["profit"] + pos["swaps"] + pos["commission"], digits)
            pos["updated_at"] = self.stamp()
            self.dirty.add(acc["id"])
            self._emit(acc, "positions_update", pos)

    # -- money -------------------------------------------------------------------------------

    def transfer(self, acc: Record, kind: str, amount: float, comment: str = "",
                 by: int | None = None) -> Record:
        digits = acc["currency_digits"]
        amount = round(amount, digits)
        self.refresh(acc)
        if kind == "withdrawal" and amount > acc["margin_free"]:
            raise Rejected("amount", f"not enough free margin: at most {acc['margin_free']:.2f}"
                                     f" {acc['currency']} can be withdrawn")
        if kind == "credit_out" and amount > acc["credit"]:
            raise Rejected("amount", f"credit is only {acc['credit']:.2f} {acc['currency']}")
        signed = -amount if kind in ("withdrawal", "credit_out") else amount
        is_credit = kind.startswith("credit")
        deal = self._deal(acc, None, side=E.CREDIT if is_credit else E.BALANCE,
                          action=E.CREDIT if is_credit else E.BALANCE, entry=E.ENTRY_IN,
                          direction=E.DIRECTION_IN if signed > 0 else E.DIRECTION_OUT,
                          reason=E.REASON_TRANSFER, channel=E.CHANNEL_API, profit=signed,
                          profit_raw=signed, comment=comment,
                          created_by=by or acc["user_id"], updated_by=by or acc["user_id"])
        if is_credit:
            acc["credit"] = round(acc["credit"] + signed, digits)
            self.dirty.add(acc["id"])
        else:
            self._book(acc, signed)
        tx = blank(TRANSACTION_FIELDS, id=self.store.next_id("transactions"),
                   account_id=acc["id"], type=kind, amount=amount, balance=acc["balance"],
                   credit=acc["credit"], comment=comment, deal_id=deal["id"],
                   created_at=deal["created_at"])
        self.store.add_transaction(tx)
        self.refresh(acc)
        return tx

    # -- account figures ---------------------------------------------------------------------

    def refresh(self, acc: Record) -> None:
        digits = acc["currency_digits"]
        floating = swaps = margin = 0.0
        margins = self.store.pos_margin
        for pos in self.store.open_by_account.get(acc["id"], {}).values():
            floating += pos["profit"] + pos["swaps"]
            swaps += pos["swaps"]
            margin += margins.get(pos["id"], 0.0)
        floating = round(floating, digits)
        margin = round(margin, digits)
        equity = round(acc["balance"] + acc["credit"] + floating, digits)
        level = round(equity / margin * 100, 2) if margin else 0.0
        group = self.store.groups[acc["group_id"]]
        status = E.HEALTHY
        if margin:
            if level < group["margin_stop_out"]:
                status = E.STOP_OUT
            elif level < group["margin_call"]:
                status = E.MARGIN_CALL
        acc.update(floating=floating, profit=floating, storage=round(swaps, digits),
                   equity=equity, margin=margin, margin_initial=margin,
                   margin_maintenance=margin, margin_free=round(equity - margin, digits),
                   margin_level=level, liqudation_status=status,
                   margin_leverage=self.leverage(acc))

    def flush(self) -> None:
        """Recompute dirty accounts, apply margin call / stop-out, publish their summaries."""
        now = self.stamp()
        while self.dirty:
            aid = self.dirty.pop()
            acc = self.store.accounts.get(aid)
            if acc is None:
                continue
            before = acc["liqudation_status"]
            self.refresh(acc)
            if acc["liqudation_status"] == E.STOP_OUT:
                self._stop_out(acc)
            elif acc["liqudation_status"] == E.MARGIN_CALL and before == E.HEALTHY:
                self._emit(acc, "info", {"message": f"margin call on account {aid}",
                                         "account_id": aid, "margin_level": acc["margin_level"]})
            acc["updated_at"] = now
            if self.bus.wants(acc["group_id"]):
                self.bus.emit(acc["group_id"], ACCOUNT_SUMMARY_EVENT, account_summary(acc))

    def _stop_out(self, acc: Record) -> None:
        group = self.store.groups[acc["group_id"]]
        self._emit(acc, "info", {"message": f"stop out on account {acc['id']}",
                                 "account_id": acc["id"], "margin_level": acc["margin_level"]})
        while acc["margin"] and acc["margin_level"] < group["margin_stop_out"]:
            open_positions = list(self.store.open_by_account.get(acc["id"], {}).values())
            if not open_positions:
                break
            if group["full_stop_out"]:
                victims = open_positions
            else:
                victims = [min(open_positions, key=lambda p: p["profit"] + p["swaps"])]
            for pos in victims:
                self.close_position(pos, reason=E.REASON_STOP_OUT, channel=E.CHANNEL_SYSTEM)
            self.refresh(acc)
        if acc["balance"] < 0 and group["compensate_negative_balance"]:
            if not self.store.open_by_account.get(acc["id"]):
                self.transfer(acc, "deposit", -acc["balance"], "negative balance compensation")
        self.dirty.discard(acc["id"])
