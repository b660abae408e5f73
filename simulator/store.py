"""In-memory state: the wire records plus the indexes that keep reads cheap."""

from __future__ import annotations

import json
import os
import time
from typing import Any

Record = dict[str, Any]
Index = dict[int, dict[int, Record]]


def _bucket(index: Index, key: int) -> dict[int, Record]:
    bucket = index.get(key)
    if bucket is None:
        bucket = index[key] = {}
    return bucket


class Store:
    """Every collection is a dict id -> wire record; indexes hold references to the same dicts."""

    COLLECTIONS = (
        "clients", "accounts", "groups", "symbols", "group_symbols", "commissions", "orders",
        "positions", "deals", "transactions",
    )

    def __init__(self) -> None:
        self.clients: dict[int, Record] = {}
        self.accounts: dict[int, Record] = {}
        self.groups: dict[int, Record] = {}
        self.symbols: dict[int, Record] = {}
        self.group_symbols: dict[int, Record] = {}
        self.commissions: dict[int, Record] = {}
        self.orders: dict[int, Record] = {}
        self.positions: dict[int, Record] = {}
        self.deals: dict[int, Record] = {}
        self.transactions: dict[int, Record] = {}
        self.passwords: dict[int, dict[str, str]] = {}
        # bid, ask, last, volume, high, low per symbol id
        self.quotes: dict[int, list[float]] = {}
        self.seq: dict[str, int] = {}
        self.time_offset = 0.0  # simulated time runs this many seconds ahead of the wall clock
        self.next_rollover = 0.0
        self.version = 0
        self._reset_indexes()

    def _reset_indexes(self) -> None:
        self.orders_active: dict[int, Record] = {}
        self.orders_done: dict[int, Record] = {}
        self.positions_open: dict[int, Record] = {}
        self.positions_closed: dict[int, Record] = {}
        self.accounts_by_group: Index = {}
        self.orders_by_account: Index = {}
        self.active_by_account: Index = {}
        self.positions_by_account: Index = {}
        self.open_by_account: Index = {}
        self.open_by_symbol: Index = {}
        self.deals_by_account: Index = {}
        self.tx_by_account: Index = {}
        self.gs_by_group: Index = {}  # group id -> symbol id -> group symbol
        self.commissions_by_group: Index = {}
        self.pos_margin: dict[int, float] = {}
        self.symbol_by_code: dict[str, Record] = {}
        self.period: dict[int, tuple[str, str, str]] = {}

    # -- clock -------------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.time_offset

    def now_ns(self) -> int:
        return time.time_ns() + int(self.time_offset * 1e9)

    def next_id(self, kind: str) -> int:
        value = self.seq.get(kind, 0) + 1
        self.seq[kind] = value
        return value

    # -- indexing ----------------------------------------------------------------------------

    def add_group(self, group: Record) -> None:
        self.groups[group["id"]] = group
        parent = self.groups.get(group["parent_id"])
        if parent is not None:
            parent["groups"].append(group)

    def add_symbol(self, symbol: Record) -> None:
        self.symbols[symbol["id"]] = symbol
        self.symbol_by_code[symbol["symbol"]] = symbol

    def add_group_symbol(self, row: Record) -> None:
        self.group_symbols[row["id"]] = row
        _bucket(self.gs_by_group, row["group_id"])[row["symbol_id"]] = row

    def add_commission(self, row: Record) -> None:
        self.commissions[row["id"]] = row
        _bucket(self.commissions_by_group, row["group_id"])[row["id"]] = row

    def remove_commission(self, row: Record) -> None:
        del self.commissions[row["id"]]
        self.commissions_by_group.get(row["group_id"], {}).pop(row["id"], None)
        for gs in self.gs_by_group.get(row["group_id"], {}).values():
            if gs["commission_id"] == row["id"]:
                gs["commission_id"] = None

    def add_client(self, client: Record) -> None:
        client["accounts"] = []
        self.clients[client["id"]] = client

    def add_account(self, account: Record) -> None:
        self.accounts[account["id"]] = account
        _bucket(self.accounts_by_group, account["group_id"])[account["id"]] = account
        client = self.clients.get(account["client_id"])
        if client is not None:
            client["accounts"].append(account)

    def remove_account(self, account: Record) -> None:
        del self.accounts[account["id"]]
        self.accounts_by_group.get(account["group_id"], {}).pop(account["id"], None)
        client = self.clients.get(account["client_id"])
        if client is not None:
            client["accounts"] = [a for a in client["accounts"] if a["id"] != account["id"]]
        self.passwords.pop(account["id"], None)

    def move_account(self, account: Record, group_id: int | None, client_id: int | None) -> None:
        if group_id is not None and group_id != account["group_id"]:
            self.accounts_by_group.get(account["group_id"], {}).pop(account["id"], None)
            account["group_id"] = group_id
            _bucket(self.accounts_by_group, group_id)[account["id"]] = account
        if client_id is not None and client_id != account["client_id"]:
            old = self.clients.get(account["client_id"])
            if old is not None:
                old["accounts"] = [a for a in old["accounts"] if a["id"] != account["id"]]
            account["client_id"] = client_id
            self.clients[client_id]["accounts"].append(account)

    def add_order(self, order: Record) -> None:
        oid = order["id"]
        self.orders[oid] = order
        _bucket(self.orders_by_account, order["account_id"])[oid] = order
        if order["status"] in (0, 1, 2):
            self.orders_active[oid] = order
            _bucket(self.active_by_account, order["account_id"])[oid] = order
        else:
            self.orders_done[oid] = order

    def finish_order(self, order: Record) -> None:
        oid = order["id"]
        self.orders_active.pop(oid, None)
        self.active_by_account.get(order["account_id"], {}).pop(oid, None)
        self.orders_done[oid] = order

    def add_position(self, pos: Record, margin: float) -> None:
        pid = pos["id"]
        self.positions[pid] = pos
        _bucket(self.positions_by_account, pos["account_id"])[pid] = pos
        if pos["status"] == 2:
            self.positions_closed[pid] = pos
            return
        self.positions_open[pid] = pos
        self.pos_margin[pid] = margin
        _bucket(self.open_by_account, pos["account_id"])[pid] = pos
        _bucket(self.open_by_symbol, pos["symbol_id"])[pid] = pos

    def close_position(self, pos: Record) -> None:
        pid = pos["id"]
        self.positions_open.pop(pid, None)
        self.pos_margin.pop(pid, None)
        self.open_by_account.get(pos["account_id"], {}).pop(pid, None)
        self.open_by_symbol.get(pos["symbol_id"], {}).pop(pid, None)
        self.positions_closed[pid] = pos

    def add_deal(self, deal: Record) -> None:
        self.deals[deal["id"]] = deal
        _bucket(self.deals_by_account, deal["account_id"])[deal["id"]] = deal

    def add_transaction(self, tx: Record) -> None:
        self.transactions[tx["id"]] = tx
        _bucket(self.tx_by_account, tx["account_id"])[tx["id"]] = tx

    # -- persistence -------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        strip = {"clients": "accounts", "groups": "groups"}
        data: dict[str, Any] = {}
        for name in self.COLLECTIONS:
            nested = strip.get(name)
            rows = getattr(self, name).values()
            data[name] = [
                {k: v for k, v in r.items() if k != nested} if nested else r for r in rows
            ]
        data["passwords"] = {str(k): v for k, v in self.passwords.items()}
        data["quotes"] = {str(k): v for k, v in self.quotes.items()}
        data["pos_margin"] = {str(k): v for k, v in self.pos_margin.items()}
        data["seq"] = self.seq
        data["time_offset"] = self.time_offset
        data["next_rollover"] = self.next_rollover
        return data

    @classmethod
    def load(cls, data: dict[str, Any]) -> Store:
        store = cls()
        for row in data["groups"]:
            row["groups"] = []
        for row in data["groups"]:
            store.add_group(row)
        for row in data["symbols"]:
            store.add_symbol(row)
        for row in data["group_symbols"]:
            store.add_group_symbol(row)
        for row in data["commissions"]:
            store.add_commission(row)
        for row in data["clients"]:
            store.add_client(row)
        for row in data["accounts"]:
            store.add_account(row)
        for row in data["orders"]:
            store.add_order(row)
        margins = data.get("pos_margin", {})
        for row in data["positions"]:
            store.add_position(row, margins.get(str(row["id"]), 0.0))
        for row in data["deals"]:
            store.add_deal(row)
        for row in data["transactions"]:
            store.add_transaction(row)
        store.passwords = {int(k): v for k, v in data["passwords"].items()}
        store.quotes = {int(k): v for k, v in data["quotes"].items()}
        store.seq = data["seq"]
        store.time_offset = data["time_offset"]
        store.next_rollover = data["next_rollover"]
        return store

    def save(self, path: str) -> None:
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.dump(), fh, separators=(",", ":"))
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: str) -> Store:
        with open(path, encoding="utf-8") as fh:
            return cls.load(json.load(fh))
