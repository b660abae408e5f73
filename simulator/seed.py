"""Deterministic demo data: group tree, clients, accounts and a year of trading history."""

from __future__ import annotations

import heapq
import math
import random
import time
from typing import Any

from . import enums as E
from .entities import (
    ACCOUNT_FIELDS,
    CLIENT_FIELDS,
    COMMISSION_FIELDS,
    GROUP_FIELDS,
    GROUP_SYMBOL_FIELDS,
    USER_FIELDS,
    blank,
    symbol_record,
)
from .ledger import Ledger, NullBus
from .store import Record, Store
from .symbols import CATALOGUE, CRYPTO, FOREX, STOCKS
from .timeutil import iso_date, parse_rfc3339, rfc3339

DAY = 86400.0
MANAGER_IDS = (2, 3, 4, 5, 6)

# id, parent, desc, type, currency, leverage, margin_call, stop_out, full_stop_out, demo
GROUPS = (
    (1, 0, "Root", 0, "USD", 100, 100.0, 50.0, False, False),
    (2, 1, "Demo", 0, "USD", 100, 100.0, 50.0, False, True),
    (3, 1, "Live", 0, "USD", 100, 100.0, 50.0, False, False),
    (4, 2, "Demo USD", 0, "USD", 500, 80.0, 30.0, False, True),
    (5, 2, "Demo EUR", 0, "EUR", 200, 80.0, 30.0, False, True),
    (6, 3, "Live Standard", 0, "USD", 100, 100.0, 50.0, False, False),
    (7, 3, "Live Pro", 0, "USD", 200, 100.0, 50.0, False, False),
    (8, 3, "Live VIP", 0, "USD", 300, 120.0, 60.0, True, False),
    (9, 3, "Live Islamic", 0, "USD", 100, 100.0, 50.0, False, False),
    (10, 1, "Dealers", 1, "USD", 100, 100.0, 50.0, False, False),
)
TRADING_GROUPS = (4, 5, 6, 7, 8, 9)
DEMO_GROUPS = (4, 5)
LIVE_GROUPS = (6, 7, 8, 9)

FIRST = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
         "Sarah", "Charles", "Karen", "Ahmed", "Fatima", "Wei", "Mei", "Hans", "Greta", "Luca",
         "Giulia", "Pierre", "Amelie", "Sven", "Ingrid", "Carlos", "Lucia", "Yuki", "Haruto",
         "Olga", "Ivan", "Aisha", "Omar")
FAMILY = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
          "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor",
          "Thomas", "Moore", "Martin", "Jackson", "Lee", "Muller", "Schmidt", "Rossi", "Bianchi",
          "Dubois", "Laurent", "Larsen", "Nielsen", "Tanaka", "Sato", "Ivanov", "Petrova",
          "Haddad", "Khan", "Chen", "Wang", "Silva", "Santos", "Novak", "Kowalski")
PLACES = (("GB", "", "London", "EC1A 1BB"), ("DE", "BE", "Berlin", "10115"),
          ("FR", "", "Paris", "75001"), ("IT", "RM", "Rome", "00118"),
          ("ES", "M", "Madrid", "28001"), ("CY", "", "Limassol", "3025"),
          ("AE", "DU", "Dubai", "00000"), ("SG", "", "Singapore", "018956"),
          ("JP", "13", "Tokyo", "100-0001"), ("ZA", "GT", "Johannesburg", "2000"),
          ("AU", "NSW", "Sydney", "2000"), ("BR", "SP", "Sao Paulo", "01000-000"),
          ("PL", "MZ", "Warsaw", "00-001"), ("SE", "AB", "Stockholm", "111 20"))
LANGUAGES = ("en", "de", "fr", "it", "es", "ar", "zh", "ja", "ru", "pt", "pl", "sv")
STREETS = ("High Street", "Main Road", "Station Road", "Park Avenue", "Church Lane",
           "Market Square", "Harbour View", "King Street")
LEADS = ("website", "referral", "google_ads", "facebook", "partner", "event", "")
CAMPAIGNS = ("spring-promo", "gold-rush", "crypto-week", "", "", "webinar-2024")
# Lifecycle statuses weighted toward active clients.
STATUS_WEIGHTS = (2, 4, 2, 4, 5, 2, 3, 8, 10, 25, 6, 2, 2, 1)


def build(seed: int, extra_deals: int = 0) -> Store:
    rng = random.Random(seed)
    store = Store()
    now = time.time()
    stamp = rfc3339(int(now * 1e9))
    for sid, ins in enumerate(CATALOGUE, start=1):
        store.add_symbol(symbol_record(sid, ins, stamp))
        store.quotes[sid] = _quote(ins.price, ins.spread, ins.digits)
    _groups(store, now)
    _group_symbols(store)
    _commissions(store)
    clients = [_client(store, rng, cid, now) for cid in range(1, 501)]
    ledger = Ledger(store, NullBus())
    accounts = _accounts(store, rng, clients, now)
    _history(store, ledger, rng, accounts, now)
    _current(store, ledger, rng, accounts, now)
    _pad_deals(store, extra_deals, now)
    store.next_rollover = now + 600
    store.version = 0
    return store


def _pad_deals(store: Store, count: int, now: float) -> None:
    """`--extra-deals N`: N more historical deals for exports and benchmarks, copies of the
    seeded trade deals spread over the past year, with no money in them (profit, commission
    and swap 0) so that every balance still adds up."""
    models = [d for d in store.deals.values() if d["side"] in (E.BUY, E.SELL)]
    for n in range(count if models else 0):
        deal = dict(models[n % len(models)])
        stamp = rfc3339(int((now - DAY - (n * 3155) % (360 * DAY)) * 1e9))
        deal.update(id=store.next_id("deals"), profit=0.0, profit_raw=0.0, commission=0.0,
                    swap=0.0, comment="history padding", created_at=stamp, updated_at=stamp)
        store.add_deal(deal)


def _quote(price: float, spread: int, digits: int) -> list[float]:
    bid = round(price, digits)
    ask = round(bid + spread * 10 ** -digits, digits)
    return [bid, ask, bid, 0.0, ask, bid]


def _groups(store: Store, now: float) -> None:
    created = rfc3339(int((now - 400 * DAY) * 1e9))
    for gid, parent, desc, gtype, ccy, lev, call, stop, full, _demo in GROUPS:
        store.add_group(blank(
            GROUP_FIELDS, id=gid, root=parent == 0, parent_id=parent, group_type=gtype,
            desc=desc, status="active", currency=ccy, currency_digits=2, default_leverage=lev,
            limit_history=None, limit_orders=200, limit_positions=500,
            limit_positions_volume=10_000, limit_symbols=None, margin_mode=0, margin_call=call,
            margin_stop_out=stop, full_stop_out=full, compensate_negative_balance=gid != 9,
            groups=[], trade_accounts=None, created_at=created, updated_at=created,
            created_by=1, updated_by=1,
        ))
        store.seq["groups"] = gid


def _group_symbols(store: Store) -> None:
    for gid in TRADING_GROUPS:
        for sym in store.symbols.values():
            cls = sym["symbol_class_id"]
            enabled = not (gid == 5 and cls == STOCKS) and not (gid == 9 and cls == CRYPTO)
            islamic = gid == 9
            store.add_group_symbol(blank(
                GROUP_SYMBOL_FIELDS, id=store.next_id("group_symbols"), group_id=gid,
                symbol_id=sym["id"], symbol=sym["symbol"], enabled=enabled,
                spread=max(1, sym["spread"] // 2) if gid in (7, 8) else sym["spread"],
                spread_balance=0, swap_long=0.0 if islamic else sym["swap_long"],
                swap_short=0.0 if islamic else sym["swap_short"],
                margin_initial=sym["margin_initial"], margin_maintenance=sym["margin_initial"],
                commission_id=None, trade_level=0,
            ))


def _tier(store: Store, ttype: int, value: float, low: float = 0.0, high: float = 0.0,
          minimum: float = 0.0, maximum: float = 0.0, ccy: str = "USD") -> Record:
    return {"id": store.next_id("commission_tiers"), "mode": 0, "type": ttype, "value": value,
            "range_from": low, "range_to": high, "min": minimum, "max": maximum, "currency": ccy}


def _commissions(store: Store) -> None:
    setups: list[tuple[int, int, str, int, list[Record]]] = [
        (4, 0, "Demo ticket fee", E.CHARGE_ENTRY, [_tier(store, E.TIER_PER_TRADE, 1.0)]),
        (5, FOREX, "Demo EUR FX", E.CHARGE_BOTH,
         [_tier(store, E.TIER_PER_LOT, 3.0, ccy="EUR")]),
        (7, FOREX, "Pro FX per lot", E.CHARGE_BOTH,
         [_tier(store, E.TIER_PER_LOT, 3.5, 0, 10), _tier(store, E.TIER_PER_LOT, 2.5, 10, 0)]),
        (7, STOCKS, "Pro stocks", E.CHARGE_BOTH,
         [_tier(store, E.TIER_PERCENT, 0.02, minimum=1.0)]),
        (8, 0, "VIP all symbols", E.CHARGE_BOTH, [_tier(store, E.TIER_PER_LOT, 2.0)]),
        (9, 0, "Islamic admin fee", E.CHARGE_ENTRY,
         [_tier(store, E.TIER_PER_LOT, 5.0, maximum=250.0)]),
    ]
    for gid, cls, name, entry, tiers in setups:
        cid = store.next_id("commissions")
        store.add_commission(blank(
            COMMISSION_FIELDS, id=cid, group_id=gid, symbol_class_id=cls, name=name,
            desc=f"{name} commission", mode=0, mode_range=0, mode_charge=0, mode_entry=entry,
            mode_action=E.ACTION_BOTH, mode_profit=0, mode_reason=1, commission_tiers=tiers,
        ))
        for gs in store.gs_by_group[gid].values():
            if cls in (0, store.symbols[gs["symbol_id"]]["symbol_class_id"]):
                gs["commission_id"] = cid


def _client(store: Store, rng: random.Random, cid: int, now: float) -> Record:
    first, family = rng.choice(FIRST), rng.choice(FAMILY)
    country, state, city, zip_code = rng.choice(PLACES)
    status = rng.choices(range(14), STATUS_WEIGHTS)[0]
    kyc = rng.choices((None, 0, 1), (30, 60, 10))[0]
    created = now - rng.uniform(30, 720) * DAY
    expiry_roll = rng.random()
    if expiry_roll < 0.1:
        expiry = now - rng.uniform(1, 400) * DAY
    elif expiry_roll < 0.22:
        expiry = now + rng.uniform(0, 30) * DAY
    else:
        expiry = now + rng.uniform(31, 3000) * DAY
    approved = status >= 7 and kyc == 0
    stamp = rfc3339(int(created * 1e9))
    client = blank(
        CLIENT_FIELDS, id=cid, type=rng.choices((0, 1, 2), (90, 8, 2))[0], status=status,
        kyc_status=kyc, manager_id=rng.choice(MANAGER_IDS),
        preferred_group=rng.choice(TRADING_GROUPS),
        approved_by=rng.choice(MANAGER_IDS) if approved else None,
        approval_date=iso_date(created + rng.uniform(1, 20) * DAY) if approved else None,
        close_date=iso_date(now - rng.uniform(1, 60) * DAY) if status in (12, 13) else None,
        last_contact_date=iso_date(now - rng.uniform(0, 90) * DAY),
        lead_source=rng.choice(LEADS), lead_campaign=rng.choice(CAMPAIGNS),
        introducer=rng.choice(("", "", "", "IB-Alpha", "IB-Orion")),
        title=rng.choice(("Mr", "Mrs", "Ms", "Dr", "")), first_name=first,
        middle_name=rng.choice(("", "", "", "A.", "J.", "Marie")), family_name=family,
        gender=rng.choice(("male", "female", "")),
        birth_date=iso_date(now - rng.uniform(19, 75) * 365.25 * DAY),
        language=rng.choice(LANGUAGES), preferred_method=rng.randrange(5),
        mobile=f"+{rng.randrange(1, 99)} {rng.randrange(100, 999)} "
               f"{rng.randrange(1000000, 9999999)}",
        local_number="", email=f"{first}.{family}{cid}@example.com".lower(),
        messengers=rng.choice(("", f"telegram:@{first.lower()}{cid}")), social_networks="",
        external_id=f"CRM-{cid:05d}", document_type=rng.randrange(3),
        document_number=f"{country}{rng.randrange(10_000_000, 99_999_999)}",
        issue_date=iso_date(expiry - 10 * 365.25 * DAY), expiry_date=iso_date(expiry),
        comment="", country=country, state=state, city=city, zip_code=zip_code,
        address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}", national=country,
        tax_id=f"TX{rng.randrange(100_000_000, 999_999_999)}",
        employment_status=rng.randrange(6), employment_industry=rng.randrange(17),
        education_level=rng.randrange(6), source_of_wealth=rng.randrange(4),
        net_worth=float(rng.choice((10, 50, 100, 250, 500, 1000)) * 1000),
        annual_income=float(rng.choice((20, 40, 60, 100, 200)) * 1000),
        annual_deposit=float(rng.choice((1, 5, 10, 25, 50)) * 1000),
        forex_experience=rng.randrange(3), stocks_experience=rng.randrange(3),
        cfd_experience=rng.randrange(3), futures_experience=rng.randrange(3), user_id=None,
        created_at=stamp, updated_at=stamp, created_by=rng.choice(MANAGER_IDS),
        updated_by=rng.choice(MANAGER_IDS),
    )
    store.add_client(client)
    store.seq["clients"] = cid
    return client


def new_account(store: Store, client: Record, group_id: int, created: float,
                fields: dict[str, Any] | None = None) -> Record:
    """A fresh account record (also used by the create endpoint)."""
    fields = fields or {}
    group = store.groups[group_id]
    aid = store.next_id("accounts")
    uid = 1000 + aid
    stamp = rfc3339(int(created * 1e9))
    user = blank(
        USER_FIELDS, id=uid, username=fields.get("username") or f"{aid}",
        first_name=fields.get("first_name", client["first_name"]),
        middle_name=fields.get("middle_name", client["middle_name"]),
        family_name=fields.get("family_name", client["family_name"]),
        company=fields.get("company", ""), email=fields.get("email", client["email"]),
        phone=fields.get("phone", client["mobile"]),
        country=fields.get("country", client["country"]),
        state=fields.get("state", client["state"]), city=fields.get("city", client["city"]),
        zip_code=fields.get("zip_code", client["zip_code"]),
        address=fields.get("address", client["address"]), language=client["language"],
        comment="", id_number=client["document_number"], api_key="", bank_account="",
        agent_account="", favourite=False, manage_group_id=0, role_id=1, status=0, type=0,
        created_at=stamp, updated_at=stamp, created_by=2, updated_by=2,
    )
    account = blank(
        ACCOUNT_FIELDS, id=aid, user_id=uid, client_id=client["id"], group_id=group_id,
        currency=group["currency"], currency_digits=group["currency_digits"],
        leverage=fields.get("leverage", 0), trade_type=1 if group_id in DEMO_GROUPS else 0,
        balance=0.0, credit=0.0, equity=0.0, margin=0.0, margin_free=0.0, margin_level=0.0,
        margin_initial=0.0, margin_maintenance=0.0, margin_leverage=group["default_leverage"],
        profit=0.0, floating=0.0, storage=0.0, assets=0.0, liabilities=0.0,
        blocked_commission=0.0, blocked_profit=0.0, day_profit=0.0, week_profit=0.0,
        month_profit=0.0, liqudation_status=0,
        enable_risk_management=fields.get("enable_risk_management", False),
        max_day_loss=0.0, max_day_profit=0.0, max_week_loss=0.0, max_week_profit=0.0,
        max_month_loss=0.0, max_month_profit=0.0, user=user, created_at=stamp,
        updated_at=stamp,
    )
    for key in ("max_day_loss", "max_day_profit", "max_week_loss", "max_week_profit",
                "max_month_loss", "max_month_profit"):
        if key in fields:
            account[key] = fields[key]
    if client["user_id"] is None:
        client["user_id"] = uid
    store.add_account(account)
    store.passwords[aid] = {"user_password": fields.get("user_password", "Passw0rd!"),
                            "investor_password": fields.get("investor_password", "Invest0r!")}
    return account


def _accounts(store: Store, rng: random.Random, clients: list[Record],
              now: float) -> list[Record]:
    accounts: list[Record] = []
    for client in clients:
        if client["status"] in (0, 1, 2):
            continue  # leads without accounts
        count = rng.choices((1, 2, 3, 4), (45, 35, 15, 5))[0]
        created_at = float(int(rng.uniform(now - 360 * DAY, now - 5 * DAY)))
        for _ in range(count):
            group = rng.choice(DEMO_GROUPS if rng.random() < 0.3 else LIVE_GROUPS)
            fields = {"leverage": rng.choice((0, 0, 0, 50, 100, 200, 500))}
            accounts.append(new_account(store, client, group, created_at, fields))
    return accounts


def _history(store: Store, ledger: Ledger, rng: random.Random, accounts: list[Record],
             now: float) -> None:
    """Deposits, withdrawals, closed trades and finished pending orders, in time order."""
    events: list[tuple[float, int, str, Any]] = []
    seq = 0
    symbols = list(store.symbols.values())
    for acc in accounts:
        t = parse_rfc3339(acc["created_at"])
        amount = rng.choice((500, 1000, 2000, 5000, 10_000, 25_000, 50_000))
        events.append((t, seq, "deposit", (acc, float(amount))))
        seq += 1
        for _ in range(rng.choices(range(11), (6, 8, 10, 12, 12, 12, 10, 10, 8, 6, 6))[0]):
            t += rng.uniform(0.1, 1.0) * (now - t) / 4
            sym = rng.choice(symbols)
            gs = ledger.group_symbol(acc, sym["id"])
            if gs is None or not gs["enabled"]:
                continue
            hold = rng.uniform(300, 3 * DAY)
            if t + hold >= now - 600:
                break  # history ends before today's book (no record dated in the future)
            kind = rng.random()
            if kind < 0.1:
                events.append((t, seq, "pending", (acc, sym, t + hold)))
            elif kind < 0.14:
                events.append((t, seq, "withdrawal", (acc, rng.uniform(0.05, 0.3))))
            else:
                events.append((t, seq, "trade", (acc, sym, t + hold, rng)))
            seq += 1
            t += hold
    heapq.heapify(events)
    while events:
        t, _, kind, args = heapq.heappop(events)
        ledger.fixed_ns = int(t * 1e9) + rng.randrange(1_000_000_000)
        if kind == "deposit":
            ledger.transfer(args[0], "deposit", args[1], "initial deposit", by=2)
        elif kind == "withdrawal":
            acc = args[0]
            amount = round(acc["margin_free"] * args[1], 2)
            if amount > 0:
                ledger.transfer(acc, "withdrawal", amount, "client request", by=2)
        elif kind == "pending":
            acc, sym, until = args
            _set_price(store, sym, rng.gauss(1, 0.03))
            q = store.quotes[sym["id"]]
            order = ledger.place_pending(acc, sym, rng.choice((1, 2, 3, 4)), sym["min_value"],
                                         round(q[0] * rng.uniform(0.97, 1.03), sym["digits"]))
            heapq.heappush(events, (until, seq, "end_order", order))
            seq += 1
        elif kind == "end_order":
            ledger.end_order(args, rng.choice((E.CANCELED, E.EXPIRED)))
        elif kind == "trade":
            acc, sym, until, _ = args
            factor = rng.gauss(1, 0.03)
            _set_price(store, sym, factor)
            pos = ledger.open_market(acc, sym, rng.choice((E.BUY, E.SELL)),
                                     ledger.suggest_volume(acc, sym, rng.uniform(0.02, 0.25)),
                                     reason=rng.choice((0, 16, 17)), channel=rng.choice((0, 1, 2)))
            if pos is not None:
                move = rng.gauss(0, 0.3 * sym_vol(sym) * math.sqrt(until - t))
                heapq.heappush(events, (until, seq, "close", (pos, factor * (1 + move))))
                seq += 1
        elif kind == "close":
            pos, factor = args
            _close_price(ledger, pos, factor)
            ledger.close_position(pos, reason=rng.choice((0, 0, 0, 3, 4, 16, 17)))
        ledger.flush()
    ledger.fixed_ns = None


def _close_price(ledger: Ledger, pos: Record, factor: float) -> None:
    """Set the exit price; history never loses more than half an account's balance per trade."""
    store = ledger.store
    acc = store.accounts[pos["account_id"]]
    sym = store.symbols[pos["symbol_id"]]
    entry = pos["price_open"]
    for _ in range(12):
        _set_price(store, sym, factor)
        q = store.quotes[sym["id"]]
        pos["profit"] = ledger.profit_for(pos, acc, sym, q[0] if pos["side"] == E.BUY else q[1])
        if pos["profit"] >= -0.5 * max(acc["balance"], 0.0):
            return
        base = entry / _catalogue_price(sym)
        factor = base + (factor - base) / 2


def _catalogue_price(sym: Record) -> float:
    for ins in CATALOGUE:
        if ins.code == sym["symbol"]:
            return ins.price
    return 1.0


def sym_vol(sym: Record) -> float:
    for ins in CATALOGUE:
        if ins.code == sym["symbol"]:
            return ins.vol
    return 0.0001


def _set_price(store: Store, sym: Record, factor: float) -> None:
    for ins in CATALOGUE:
        if ins.code == sym["symbol"]:
            store.quotes[sym["id"]] = _quote(ins.price * factor, ins.spread, ins.digits)
            return


def _current(store: Store, ledger: Ledger, rng: random.Random, accounts: list[Record],
             now: float) -> None:
    """Today's prices, plus the positions and pending orders open right now."""
    for sid, ins in enumerate(CATALOGUE, start=1):
        store.quotes[sid] = _quote(ins.price * rng.gauss(1, 0.01), ins.spread, ins.digits)
    symbols = list(store.symbols.values())
    for acc in accounts:
        roll = rng.random()
        if roll > 0.45 or acc["balance"] <= 0:
            continue
        for _ in range(rng.choice((1, 1, 2, 3))):
            sym = rng.choice(symbols)
            gs = ledger.group_symbol(acc, sym["id"])
            if gs is None or not gs["enabled"]:
                continue
            ledger.fixed_ns = int((now - rng.uniform(60, 5 * DAY)) * 1e9)
            side = rng.choice((E.BUY, E.SELL))
            q = store.quotes[sym["id"]]
            if roll < 0.08:
                otype = rng.choice((1, 2, 3, 4))
                away = 1 + rng.uniform(0.002, 0.02) * (1 if otype in (2, 3) else -1)
                ledger.place_pending(acc, sym, otype, sym["min_value"],
                                     round(q[0] * away, sym["digits"]),
                                     expires_at=now + rng.uniform(600, 3 * DAY)
                                     if rng.random() < 0.5 else None)
                continue
            volume = ledger.suggest_volume(acc, sym, rng.uniform(0.02, 0.25))
            ledger.open_market(acc, sym, side, volume,
                               reason=rng.choice((0, 16, 17)))
    ledger.fixed_ns = None
    for pos in store.positions_open.values():
        acc = store.accounts[pos["account_id"]]
        sym = store.symbols[pos["symbol_id"]]
        q = store.quotes[sym["id"]]
        pos["price_current"] = q[0] if pos["side"] == E.BUY else q[1]
        pos["profit"] = ledger.profit_for(pos, acc, sym, pos["price_current"])
        pos["total_profit"] = round(pos["profit"] + pos["swaps"] + pos["commission"], 2)
    for acc in store.accounts.values():
        ledger.refresh(acc)
    ledger.dirty.update(store.accounts)
    ledger.flush()
