"""Manager API handlers (docs/omtrader-api.md §5.2). Each returns a Result; errors raise
ApiError."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from . import validation as V
from .entities import CLIENT_FIELDS, COMMISSION_FIELDS, blank
from .envelope import ApiError, Result, invalid, not_found
from .ledger import Rejected
from .listing import in_range, int_filter, page_of_dict, page_params, paginate, time_filter
from .runtime import SIM, Simulator
from .seed import new_account
from .store import Index, Record
from .symbols import SYMBOL_CLASSES

M = "/api/v1/manager"
ROUTES: list[tuple[str, str, Any]] = []


def route(method: str, path: str) -> Any:
    def register(fn: Any) -> Any:
        ROUTES.append((method, path, fn))
        return fn
    return register


def sim(request: web.Request) -> Simulator:
    return request.app[SIM]


def ident(request: web.Request) -> int:
    return int(request.match_info["id"])


async def read_json(request: web.Request) -> Any:
    if not request.can_read_body:
        raise invalid({"body": "a JSON body is required"}, "the request body is empty")
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise invalid({"body": "must be valid JSON"}, "the request body is not JSON") from None


def get_or_404(rows: dict[int, Record], what: str, rid: int) -> Record:
    row = rows.get(rid)
    if row is None:
        raise not_found(what, rid)
    return row


def manager_id(request: web.Request) -> int:
    return request["session"].account_id


# -- clients ----------------------------------------------------------------------------------

@route("GET", M + "/clients")
async def list_clients(request: web.Request) -> Result:
    s = sim(request)
    p = page_params(request.query, "clients")
    return Result(page_of_dict(s.store.clients, p))


@route("GET", M + "/clients/{id:\\d+}")
async def get_client(request: web.Request) -> Result:
    return Result(get_or_404(sim(request).store.clients, "client", ident(request)))


@route("POST", M + "/clients")
async def create_client(request: web.Request) -> Result:
    s = sim(request)
    fields = V.validate(await read_json(request), V.CLIENT, extra=V.client_extra)
    now = s.ledger.stamp()
    who = manager_id(request)
    client = blank(CLIENT_FIELDS, type=0, status=0, created_at=now, updated_at=now,
                   created_by=who, updated_by=who)
    for key in CLIENT_FIELDS:
        if client[key] is None and key.endswith(("name", "_source", "_campaign", "_number")):
            client[key] = ""
    client.update(fields)
    client["id"] = s.store.next_id("clients")
    s.store.add_client(client)
    s.changed()
    return Result(client, 201)


@route("PUT", M + "/clients/{id:\\d+}")
async def update_client(request: web.Request) -> Result:
    s = sim(request)
    client = get_or_404(s.store.clients, "client", ident(request))
    fields = V.validate(await read_json(request), V.CLIENT, partial=True, extra=V.client_extra)
    client.update(fields, updated_at=s.ledger.stamp(), updated_by=manager_id(request))
    s.changed()
    return Result(client)


@route("DELETE", M + "/clients/{id:\\d+}")
async def delete_client(request: web.Request) -> Result:
    s = sim(request)
    client = get_or_404(s.store.clients, "client", ident(request))
    if client["accounts"]:
        raise ApiError(409, f"client #{client['id']} still has {len(client['accounts'])} "
                            "trading account(s); delete them first")
    del s.store.clients[client["id"]]
    s.changed()
    return Result(f"Client #{client['id']} has been deleted")


# -- accounts ---------------------------------------------------------------------------------

@route("GET", M + "/accounts")
async def list_accounts(request: web.Request) -> Result:
    s = sim(request)
    p = page_params(request.query, "accounts")
    clients = int_filter(request.query, "client_id")
    groups = int_filter(request.query, "group_id")
    if clients is None and groups is None:
        return Result(page_of_dict(s.store.accounts, p))
    rows: Iterable[Record]
    if clients is not None:
        rows = [a for cid in clients for a in s.store.clients.get(cid, {}).get("accounts", ())]
        if groups is not None:
            rows = [a for a in rows if a["group_id"] in groups]
    else:
        rows = [a for gid in groups or () for a in s.store.accounts_by_group.get(gid, {}).values()]
    return Result(paginate(rows, p, id_ordered=False))


@route("GET", M + "/accounts/{id:\\d+}")
async def get_account(request: web.Request) -> Result:
    return Result(get_or_404(sim(request).store.accounts, "account", ident(request)))


def _account_checks(s: Simulator, own_id: int | None = None) -> Any:
    def check(data: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        username = data.get("username")
        if isinstance(username, str) and username and any(
                a["user"]["username"] == username and a["id"] != own_id
                for a in s.store.accounts.values()):
            errors["username"] = f"username {username!r} is already taken"
        cid = data.get("client_id")
        if _is_int(cid) and cid not in s.store.clients:
            errors["client_id"] = f"unknown client {cid}"
        gid = data.get("group_id")
        if _is_int(gid):
            group = s.store.groups.get(gid)
            if group is None:
                errors["group_id"] = f"unknown group {gid}"
            elif group["group_type"] != 0:
                errors["group_id"] = f"group {gid} is not a client group"
        for name in ("user_password", "investor_password"):
            value = data.get(name)
            if isinstance(value, str) and len(value) < 8:
                errors[name] = "must be at least 8 characters"
        return errors
    return check


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


USER_KEYS = ("username", "first_name", "middle_name", "family_name", "company", "email", "phone",
             "country", "state", "city", "zip_code", "address")
RISK_KEYS = ("enable_risk_management", "max_day_loss", "max_day_profit", "max_week_loss",
             "max_week_profit", "max_month_loss", "max_month_profit", "leverage")


@route("POST", M + "/accounts")
async def create_account(request: web.Request) -> Result:
    s = sim(request)
    fields = V.validate(await read_json(request), V.ACCOUNT, extra=_account_checks(s))
    fields = {k: v for k, v in fields.items() if v is not None}
    client = s.store.clients[fields["client_id"]]
    account = new_account(s.store, client, fields["group_id"], s.store.now(), fields)
    s.ledger.refresh(account)
    s.changed()
    return Result(account, 201)


@route("PUT", M + "/accounts/{id:\\d+}")
async def update_account(request: web.Request) -> Result:
    s = sim(request)
    account = get_or_404(s.store.accounts, "account", ident(request))
    fields = V.validate(await read_json(request), V.ACCOUNT, partial=True,
                        extra=_account_checks(s, account["id"]))
    s.store.move_account(account, fields.get("group_id"), fields.get("client_id"))
    if "group_id" in fields:
        group = s.store.groups[account["group_id"]]
        account.update(currency_digits=group["currency_digits"])
    user = account["user"]
    now = s.ledger.stamp()
    for key in USER_KEYS:
        if key in fields:
            user[key] = fields[key] if fields[key] is not None else ""
    for key in RISK_KEYS:
        if fields.get(key) is not None:
            account[key] = fields[key]
    for key in ("user_password", "investor_password"):
        if fields.get(key):
            s.store.passwords.setdefault(account["id"], {})[key] = fields[key]
    user["updated_at"] = now
    account["updated_at"] = now
    s.ledger.dirty.add(account["id"])
    s.ledger.flush()
    s.changed()
    return Result(account)


@route("DELETE", M + "/accounts/{id:\\d+}")
async def delete_account(request: web.Request) -> Result:
    s = sim(request)
    account = get_or_404(s.store.accounts, "account", ident(request))
    aid = account["id"]
    if s.store.open_by_account.get(aid) or s.store.active_by_account.get(aid):
        raise ApiError(409, f"account #{aid} has open positions or pending orders")
    s.store.remove_account(account)
    s.changed()
    return Result(f"Account #{aid} has been deleted")


@route("POST", M + "/accounts/{id:\\d+}/money")
async def transfer_money(request: web.Request) -> Result:
    s = sim(request)
    account = get_or_404(s.store.accounts, "account", ident(request))
    fields = V.validate(await read_json(request), V.MONEY)
    try:
        tx = s.ledger.transfer(account, fields["type"], float(fields["amount"]),
                               fields.get("comment") or "", by=manager_id(request))
    except Rejected as exc:
        raise invalid({exc.field: exc.message}, exc.message) from None
    s.ledger.dirty.add(account["id"])
    s.ledger.flush()
    s.changed()
    return Result(tx)


@route("GET", M + "/accounts/{id:\\d+}/transactions/history")
async def transactions(request: web.Request) -> Result:
    s = sim(request)
    account = get_or_404(s.store.accounts, "account", ident(request))
    p = page_params(request.query, "transactions")
    low, high = time_filter(request.query)
    rows = s.store.tx_by_account.get(account["id"], {}).values()
    return Result(paginate(list(in_range(rows, "created_at", low, high)), p, id_ordered=True))


# -- groups, commissions, symbols ---------------------------------------------------------------

@route("GET", M + "/groups")
async def list_groups(request: web.Request) -> Result:
    s = sim(request)
    return Result(page_of_dict(s.store.groups, page_params(request.query, "groups")))


@route("GET", M + "/group/{id:\\d+}")
@route("GET", M + "/groups/{id:\\d+}")
async def get_group(request: web.Request) -> Result:
    return Result(get_or_404(sim(request).store.groups, "group", ident(request)))


@route("PUT", M + "/group/{id:\\d+}")
@route("PUT", M + "/groups/{id:\\d+}")
async def update_group(request: web.Request) -> Result:
    s = sim(request)
    group = get_or_404(s.store.groups, "group", ident(request))
    fields = V.validate(await read_json(request), V.GROUP, partial=True)
    call = fields.get("margin_call", group["margin_call"])
    stop = fields.get("margin_stop_out", group["margin_stop_out"])
    if stop > call:
        raise invalid({"margin_stop_out": "must not be above margin_call"})
    if "desc" in fields and not fields["desc"].strip():
        raise invalid({"desc": "must not be empty"})
    group.update(fields, updated_at=s.ledger.stamp(), updated_by=manager_id(request))
    # New levels apply at once: accounts below them get margin call / stop out now.
    s.ledger.dirty.update(s.store.accounts_by_group.get(group["id"], {}))
    s.ledger.flush()
    s.changed()
    return Result(group)


@route("GET", M + "/groups/{id:\\d+}/commissions")
async def list_commissions(request: web.Request) -> Result:
    s = sim(request)
    group = get_or_404(s.store.groups, "group", ident(request))
    p = page_params(request.query, "commissions")
    rows = list(s.store.commissions_by_group.get(group["id"], {}).values())
    return Result(paginate(rows, p, id_ordered=True))


def _commission_checks(s: Simulator) -> Any:
    def check(data: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        gid = data.get("group_id")
        if _is_int(gid) and gid not in s.store.groups:
            errors["group_id"] = f"unknown group {gid}"
        cls = data.get("symbol_class_id")
        if _is_int(cls) and cls and cls not in SYMBOL_CLASSES:
            errors["symbol_class_id"] = f"unknown symbol class {cls}"
        name = data.get("name")
        if isinstance(name, str) and not name.strip():
            errors["name"] = "must not be empty"
        if isinstance(data.get("commission_tiers"), list):
            errors.update(V.tier_errors(data["commission_tiers"]))
        return errors
    return check


def _tiers(s: Simulator, tiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": s.store.next_id("commission_tiers"), "mode": t.get("mode") or 0,
             "type": t["type"], "value": t["value"], "range_from": t.get("range_from") or 0.0,
             "range_to": t.get("range_to") or 0.0, "min": t.get("min") or 0.0,
             "max": t.get("max") or 0.0, "currency": t.get("currency") or ""}
            for t in tiers]


@route("POST", M + "/commissions")
async def create_commission(request: web.Request) -> Result:
    s = sim(request)
    fields = V.validate(await read_json(request), V.COMMISSION, extra=_commission_checks(s))
    fields["commission_tiers"] = _tiers(s, fields.get("commission_tiers") or [])
    row = blank(COMMISSION_FIELDS, symbol_class_id=0, desc="", mode=0, mode_range=0,
                mode_charge=0, mode_entry=0, mode_action=0, mode_profit=0, mode_reason=0,
                commission_tiers=[])
    row.update({k: v for k, v in fields.items() if v is not None})
    row["id"] = s.store.next_id("commissions")
    s.store.add_commission(row)
    s.changed()
    return Result(row, 201)


@route("PUT", M + "/commissions/{id:\\d+}")
async def update_commission(request: web.Request) -> Result:
    s = sim(request)
    row = get_or_404(s.store.commissions, "commission", ident(request))
    fields = V.validate(await read_json(request), V.COMMISSION, partial=True,
                        extra=_commission_checks(s))
    fields = {k: v for k, v in fields.items() if v is not None}
    if "commission_tiers" in fields:
        fields["commission_tiers"] = _tiers(s, fields["commission_tiers"])
    s.store.remove_commission(row)
    row.update(fields)
    s.store.add_commission(row)
    s.changed()
    return Result(row)


@route("DELETE", M + "/commissions/{id:\\d+}")
async def delete_commission(request: web.Request) -> Result:
    s = sim(request)
    row = get_or_404(s.store.commissions, "commission", ident(request))
    s.store.remove_commission(row)
    s.changed()
    return Result(f"Commission #{row['id']} has been deleted")


@route("GET", M + "/symbols")
async def list_symbols(request: web.Request) -> Result:
    s = sim(request)
    return Result(page_of_dict(s.store.symbols, page_params(request.query, "symbols")))


@route("GET", M + "/symbols/{id:\\d+}")
async def get_symbol(request: web.Request) -> Result:
    return Result(get_or_404(sim(request).store.symbols, "symbol", ident(request)))


@route("GET", M + "/groups/{id:\\d+}/symbols")
async def list_group_symbols(request: web.Request) -> Result:
    s = sim(request)
    group = get_or_404(s.store.groups, "group", ident(request))
    p = page_params(request.query, "group_symbols")
    rows = sorted(s.store.gs_by_group.get(group["id"], {}).values(), key=lambda r: r["id"])
    return Result(paginate(rows, p, id_ordered=True))


@route("PUT", M + "/group-symbols/{id:\\d+}")
async def update_group_symbol(request: web.Request) -> Result:
    s = sim(request)
    row = get_or_404(s.store.group_symbols, "group symbol", ident(request))
    fields = V.validate(await read_json(request), V.GROUP_SYMBOL, partial=True)
    cid = fields.get("commission_id")
    if cid is not None and cid not in s.store.commissions_by_group.get(row["group_id"], {}):
        raise invalid({"commission_id": f"commission {cid} does not belong to group "
                                        f"{row['group_id']}"})
    row.update(fields)
    s.hub.refresh_symbols()  # ticks follow the enabled symbols of subscribed groups
    s.changed()
    return Result(row)


# -- orders, positions, deals -------------------------------------------------------------------

def select(s: Simulator, request: web.Request, source: dict[int, Record], by_account: Index,
           kind: str, time_field: str | None, id_ordered: bool) -> Result:
    """A page of `source`, filtered by account_id / group_id / symbol_id / from / to."""
    q = request.query
    p = page_params(q, kind)
    accounts = int_filter(q, "account_id")
    groups = int_filter(q, "group_id")
    symbols = int_filter(q, "symbol_id")
    low, high = time_filter(q) if time_field else (None, None)
    if groups is not None:
        in_groups = [aid for gid in groups for aid in s.store.accounts_by_group.get(gid, {})]
        accounts = in_groups if accounts is None else [a for a in accounts if a in in_groups]
    if accounts is None and symbols is None and low is None and high is None and id_ordered:
        return Result(page_of_dict(source, p))
    rows: Iterable[Record]
    if accounts is not None:
        rows = [r for aid in accounts for r in by_account.get(aid, {}).values()
                if r["id"] in source]
        id_ordered = len(accounts) == 1
    else:
        rows = source.values()
    if symbols is not None:
        wanted = set(symbols)
        rows = (r for r in rows if r["symbol_id"] in wanted)
    if time_field:
        rows = in_range(rows, time_field, low, high)
    return Result(paginate(list(rows), p, id_ordered=id_ordered))


@route("GET", M + "/orders")
async def list_orders(request: web.Request) -> Result:
    s = sim(request)
    return select(s, request, s.store.orders_active, s.store.orders_by_account, "orders",
                  None, True)


@route("GET", M + "/orders/history")
async def order_history(request: web.Request) -> Result:
    s = sim(request)
    return select(s, request, s.store.orders_done, s.store.orders_by_account, "orders",
                  "time_done", False)


@route("GET", M + "/orders/{id:\\d+}")
async def get_order(request: web.Request) -> Result:
    return Result(get_or_404(sim(request).store.orders, "order", ident(request)))


@route("GET", M + "/positions")
async def list_positions(request: web.Request) -> Result:
    s = sim(request)
    return select(s, request, s.store.positions_open, s.store.positions_by_account,
                  "positions", None, True)


@route("GET", M + "/positions/history")
async def position_history(request: web.Request) -> Result:
    s = sim(request)
    return select(s, request, s.store.positions_closed, s.store.positions_by_account,
                  "positions", "updated_at", False)


@route("GET", M + "/positions/{id:\\d+}")
async def get_position(request: web.Request) -> Result:
    return Result(get_or_404(sim(request).store.positions, "position", ident(request)))


@route("GET", M + "/deals")
@route("GET", "/api/v1/trader/deals")
async def list_deals(request: web.Request) -> Result:
    s = sim(request)
    return select(s, request, s.store.deals, s.store.deals_by_account, "deals", "created_at",
                  True)


@route("GET", M + "/deals/{id:\\d+}")
@route("GET", "/api/v1/trader/deals/{id:\\d+}")
async def get_deal(request: web.Request) -> Result:
    return Result(get_or_404(sim(request).store.deals, "deal", ident(request)))


# Paths served only when strict paths are off (docs/omtrader-api.md §5.2 fallbacks).
NON_STRICT = frozenset({
    M + "/groups/{id}", M + "/deals", M + "/deals/{id}",
})
