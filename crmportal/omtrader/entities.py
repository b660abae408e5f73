"""What the service layer returns: frozen, typed records of docs/omtrader-api.md §6 with clean
names.

- Enum fields hold an EnumValue(code, label); labels come from enums.json.
- Timestamps are aware datetimes (UTC); dates are dates; None when absent.
- Money and prices are Decimal, quantized to the record's digits where it carries them
  (prices: `digits`, money: `digits_currency` / `currency_digits`).
- Wire typos are mapped once, here: `exit_loos` -> exit_loss, `liqudation_status` ->
  liquidation_status, `expiration_police` (requests) -> expiration_policy,
  `commission_tiers` -> tiers, `groups` (children) -> children.
- Each class has `from_wire(data)` (used by the live relay for event payloads too).

Writes take plain dicts with these clean names (see client.py); nothing here goes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from crmportal.omtrader.enums import EnumValue, enum_value
from crmportal.omtrader.parsing import WrongType, build, parse_codes

T = TypeVar("T")


def _enum(kind: str, *wire: str) -> Any:
    return field(default=None, metadata={"enum": kind, "wire": wire})


def _money(digits: str | int = "digits_currency", *wire: str) -> Any:
    return field(default=None, metadata={"digits": digits, "wire": wire})


def _price(*wire: str) -> Any:
    return _money("digits", *wire)


def _many(name: str, *wire: str) -> Any:
    return field(default=(), metadata={"nested": name, "wire": wire})


def _one(name: str, *wire: str) -> Any:
    return field(default=None, metadata={"one": name, "wire": wire})


def _symbol_code(raw: Any) -> str:
    """`symbol` arrives as the code or as the embedded symbol object."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and isinstance(raw.get("symbol"), str):
        return raw["symbol"]
    raise WrongType("a symbol code or object", raw)


def _codes(kind: str) -> Any:
    def parse(raw: Any) -> tuple[EnumValue, ...]:
        return tuple(enum_value(kind, code) for code in parse_codes(raw))

    return field(default=(), metadata={"parse": parse})


class _Wire:
    __slots__ = ()

    @classmethod
    def from_wire(cls, data: Any, only: frozenset[str] | None = None):
        return build(cls, data, only=only)

    def __getitem__(self, name: str) -> Any:
        """`record["field"]` as `record.field`: Django's templates try a key before an
        attribute, and without this every `{{ deal.price }}` in a table paid for a failed
        lookup first (a third of a cell's cost)."""
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__} fields are named, not numbered")
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    limit: int
    total: int | None = None
    has_next: bool = False

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def pages(self) -> int | None:
        if self.total is None or self.limit <= 0:
            return None
        return max(1, -(-self.total // self.limit))


@dataclass(frozen=True, slots=True)
class LoginSession:
    access_token: str = field(repr=False)
    session_id: str = field(repr=False)
    expires_at: datetime
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class AccountUser(_Wire):
    """The platform user behind a trading account (docs/omtrader-api.md §6.2c; no password
    fields)."""

    id: int | None = None
    username: str = ""
    first_name: str = ""
    middle_name: str = ""
    family_name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""
    country: str = ""
    state: str = ""
    city: str = ""
    zip_code: str = ""
    address: str = ""
    language: str = ""
    comment: str = ""


@dataclass(frozen=True, slots=True)
class TradingAccount(_Wire):
    id: int
    user_id: int | None = None
    client_id: int | None = None
    group_id: int | None = None
    currency: str = ""
    currency_digits: int | None = None
    leverage: int | None = None
    trade_type: EnumValue | None = _enum("ModelTradeType")
    balance: Decimal | None = _money("currency_digits")
    credit: Decimal | None = _money("currency_digits")
    equity: Decimal | None = _money("currency_digits")
    margin: Decimal | None = _money("currency_digits")
    margin_free: Decimal | None = _money("currency_digits")
    margin_level: Decimal | None = _money(2)
    margin_initial: Decimal | None = _money("currency_digits")
    margin_maintenance: Decimal | None = _money("currency_digits")
    margin_leverage: Decimal | None = None
    profit: Decimal | None = _money("currency_digits")
    floating: Decimal | None = _money("currency_digits")
    storage: Decimal | None = _money("currency_digits")
    assets: Decimal | None = _money("currency_digits")
    liabilities: Decimal | None = _money("currency_digits")
    blocked_commission: Decimal | None = _money("currency_digits")
    blocked_profit: Decimal | None = _money("currency_digits")
    day_profit: Decimal | None = _money("currency_digits")
    week_profit: Decimal | None = _money("currency_digits")
    month_profit: Decimal | None = _money("currency_digits")
    liquidation_status: EnumValue | None = _enum("ModelLiqudationStatus", "liqudation_status")
    enable_risk_management: bool = False
    max_day_loss: Decimal | None = _money("currency_digits")
    max_day_profit: Decimal | None = _money("currency_digits")
    max_week_loss: Decimal | None = _money("currency_digits")
    max_week_profit: Decimal | None = _money("currency_digits")
    max_month_loss: Decimal | None = _money("currency_digits")
    max_month_profit: Decimal | None = _money("currency_digits")
    user: AccountUser | None = _one("AccountUser")
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def username(self) -> str:
        return self.user.username if self.user else ""

    @property
    def holder_name(self) -> str:
        if not self.user:
            return ""
        return " ".join(n for n in (self.user.first_name, self.user.family_name) if n)


@dataclass(frozen=True, slots=True)
class AccountSummary(_Wire):
    """The money side of an account: the `account_summary` live event, or from an account."""

    id: int
    group_id: int | None = None
    client_id: int | None = None
    currency: str = ""
    currency_digits: int | None = None
    balance: Decimal | None = _money("currency_digits")
    credit: Decimal | None = _money("currency_digits")
    equity: Decimal | None = _money("currency_digits")
    margin: Decimal | None = _money("currency_digits")
    margin_free: Decimal | None = _money("currency_digits")
    margin_level: Decimal | None = _money(2)
    profit: Decimal | None = _money("currency_digits")
    liquidation_status: EnumValue | None = _enum("ModelLiqudationStatus", "liqudation_status")
    updated_at: datetime | None = None

    @classmethod
    def of(cls, account: TradingAccount) -> AccountSummary:
        return cls(**{name: getattr(account, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Client(_Wire):
    id: int
    type: EnumValue | None = _enum("ModelClientType")
    status: EnumValue | None = _enum("ModelClientStatus")
    # Raw code: 0 accept / 1 reject per enums.json, None = not yet reviewed (pending). The API
    # documentation's prose suggests other meanings (docs/omtrader-api.md §7, §9.12), so
    # callers decide.
    kyc_status: int | None = None
    manager_id: int | None = None
    preferred_group: int | None = None
    approved_by: int | None = None
    approval_date: date | None = None
    close_date: date | None = None
    last_contact_date: date | None = None
    lead_source: str = ""
    lead_campaign: str = ""
    introducer: str = ""
    title: str = ""
    first_name: str = ""
    middle_name: str = ""
    family_name: str = ""
    gender: str = ""
    birth_date: date | None = None
    language: str = ""
    preferred_method: EnumValue | None = _enum("ModelClientPreferredMethod")
    mobile: str = ""
    local_number: str = ""
    email: str = ""
    messengers: str = ""
    social_networks: str = ""
    external_id: str = ""
    document_type: EnumValue | None = _enum("ModelDocumentType")
    document_number: str = ""
    issue_date: date | None = None
    expiry_date: date | None = None
    comment: str = ""
    country: str = ""
    state: str = ""
    city: str = ""
    zip_code: str = ""
    address: str = ""
    national: str = ""
    tax_id: str = ""
    employment_status: EnumValue | None = _enum("ModelEmploymentStatus")
    employment_industry: EnumValue | None = _enum("ModelEmploymentIndustry")
    education_level: EnumValue | None = _enum("ModelEducationLevel")
    source_of_wealth: EnumValue | None = _enum("ModelSourceOfWealth")
    net_worth: Decimal | None = None
    annual_income: Decimal | None = None
    annual_deposit: Decimal | None = None
    forex_experience: EnumValue | None = _enum("ModelTradingExperience")
    stocks_experience: EnumValue | None = _enum("ModelTradingExperience")
    cfd_experience: EnumValue | None = _enum("ModelTradingExperience")
    futures_experience: EnumValue | None = _enum("ModelTradingExperience")
    user_id: int | None = None
    accounts: tuple[TradingAccount, ...] = _many("TradingAccount")
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: int | None = None
    updated_by: int | None = None

    @property
    def name(self) -> str:
        return " ".join(n for n in (self.first_name, self.middle_name, self.family_name) if n)

    @property
    def kyc_pending(self) -> bool:
        return self.kyc_status is None

    @property
    def kyc_label(self) -> str:
        if self.kyc_status is None:
            return "Pending"
        return enum_value("ModelKycStatus", self.kyc_status).label


@dataclass(frozen=True, slots=True)
class Group(_Wire):
    id: int
    root: bool = False
    parent_id: int | None = None
    group_type: EnumValue | None = _enum("ModelGroupType")
    desc: str = ""
    status: str = ""
    currency: str = ""
    currency_digits: int | None = None
    default_leverage: int | None = None
    limit_history: int | None = None
    limit_orders: int | None = None
    limit_positions: int | None = None
    limit_positions_volume: int | None = None
    limit_symbols: int | None = None
    margin_mode: EnumValue | None = _enum("ModelMarginMode")
    margin_call: Decimal | None = None
    margin_stop_out: Decimal | None = None
    full_stop_out: bool = False
    compensate_negative_balance: bool = False
    children: tuple[Group, ...] = _many("Group", "groups")
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: int | None = None
    updated_by: int | None = None

    @property
    def name(self) -> str:
        return self.desc or f"Group {self.id}"

    @property
    def is_root(self) -> bool:
        return self.root or not self.parent_id


@dataclass(frozen=True, slots=True)
class CommissionTier(_Wire):
    id: int | None = None
    mode: int | None = None
    type: int | None = None
    value: Decimal | None = None
    range_from: Decimal | None = None
    range_to: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True)
class Commission(_Wire):
    """Commission `mode*` and tier `mode`/`type` codes are not documented: plain ints."""

    id: int
    group_id: int | None = None
    symbol_class_id: int | None = None
    name: str = ""
    desc: str = ""
    mode: int | None = None
    mode_range: int | None = None
    mode_charge: int | None = None
    mode_entry: int | None = None
    mode_action: int | None = None
    mode_profit: int | None = None
    mode_reason: int | None = None
    tiers: tuple[CommissionTier, ...] = _many("CommissionTier", "commission_tiers", "tiers")


@dataclass(frozen=True, slots=True)
class Symbol(_Wire):
    id: int
    symbol: str = ""
    isin: str = ""
    desc: str = ""
    base_currency: str = ""
    quote_currency: str = ""
    symbol_scale: Decimal | None = None
    quote_scale: Decimal | None = None
    broker_fee: Decimal | None = None
    maker_fee: Decimal | None = None
    symbol_class_id: int | None = None
    margin_flags: int | None = None
    margin_initial: Decimal | None = None
    margin_maintenance: Decimal | None = None
    margin_buy: Decimal | None = None
    margin_sell: Decimal | None = None
    margin_hedged: Decimal | None = None
    enabled: bool = False
    status: EnumValue | None = _enum("ModelSymbolStatus")
    trade_level: EnumValue | None = _enum("ModelTradeLevel")
    execution: EnumValue | None = _enum("ModelExecutionMode")
    gtc: int | None = None
    filling: EnumValue | None = _enum("ModelFillPolicy")
    expiration: tuple[EnumValue, ...] = _codes("ModelExpirationPolicy")
    orders: tuple[EnumValue, ...] = _codes("ModelOrderType")
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    step: Decimal | None = None
    contract_size: Decimal | None = None
    digits: int | None = None
    tick_size: Decimal | None = None
    tick_value: Decimal | None = None
    spread: int | None = None
    spread_balance: int | None = None
    stop_level: int | None = None
    swaps_enabled: bool = False
    swap_type: EnumValue | None = _enum("ModelSwaptype")
    swap_long: Decimal | None = None
    swap_short: Decimal | None = None
    swap_days: str = ""
    swap_days_year: int | None = None
    calculation: EnumValue | None = _enum("ModelCalcType")
    conversion_currency: int | None = None
    conversion_type: EnumValue | None = _enum("ModelConversionType")
    trade_sessions: str = ""
    quote_sessions: str = ""
    timeout: int | None = None
    last_bid: Decimal | None = _price()
    last_ask: Decimal | None = _price()
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GroupSymbol(_Wire):
    """A group's overrides of one symbol (`PUT /group-symbols/{id}` uses this id)."""

    id: int
    group_id: int | None = None
    symbol_id: int | None = None
    symbol: str = field(default="", metadata={"parse": _symbol_code})
    enabled: bool = False
    spread: int | None = None
    spread_balance: int | None = None
    swap_long: Decimal | None = None
    swap_short: Decimal | None = None
    margin_initial: Decimal | None = None
    margin_maintenance: Decimal | None = None
    commission_id: int | None = None
    trade_level: EnumValue | None = _enum("ModelTradeLevel")


@dataclass(frozen=True, slots=True)
class Order(_Wire):
    id: int
    account_id: int | None = None
    symbol_id: int | None = None
    symbol: str = field(default="", metadata={"parse": _symbol_code})
    type: EnumValue | None = _enum("ModelOrderType")
    side: EnumValue | None = _enum("ModelSideType")
    status: EnumValue | None = _enum("ModelOrderStatus")
    reason: EnumValue | None = _enum("ModelReasonType")
    volume_initial: Decimal | None = None
    volume_current: Decimal | None = None
    volume_initial_ext: Decimal | None = None
    volume_current_ext: Decimal | None = None
    price_order: Decimal | None = _price()
    price_trigger: Decimal | None = _price()
    price_current: Decimal | None = _price()
    price_sl: Decimal | None = _price()
    price_tp: Decimal | None = _price()
    expiration_policy: EnumValue | None = _enum(
        "ModelExpirationPolicy", "expiration_policy", "expiration_police"
    )
    type_fill: EnumValue | None = _enum("ModelFillPolicy")
    type_time: int | None = None
    time_setup: datetime | None = None
    time_expiration: datetime | None = None
    time_done: datetime | None = None
    position_id: int | None = None
    position_by_id: int | None = None
    exit_level: EnumValue | None = _enum("ModelExitLevel")
    exit_profit: Decimal | None = None
    exit_loss: Decimal | None = field(default=None, metadata={"wire": ("exit_loos", "exit_loss")})
    digits: int | None = None
    digits_currency: int | None = None
    contract_size: Decimal | None = None
    rate_margin: Decimal | None = None
    dealer_id: int | None = None
    external_id: str = ""
    comment: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Position(_Wire):
    id: int
    external_id: str = ""
    account_id: int | None = None
    dealer_id: int | None = None
    symbol_id: int | None = None
    symbol: str = field(default="", metadata={"parse": _symbol_code})
    action: int | None = None
    side: EnumValue | None = _enum("ModelSideType")
    status: EnumValue | None = _enum("ModelPositionStatus")
    reason: EnumValue | None = _enum("ModelReasonType")
    digits: int | None = None
    digits_currency: int | None = None
    contract_size: Decimal | None = None
    price_open: Decimal | None = _price()
    price_current: Decimal | None = _price()
    price_sl: Decimal | None = _price()
    price_tp: Decimal | None = _price()
    profit: Decimal | None = _money()
    total_profit: Decimal | None = _money()
    swaps: Decimal | None = _money()
    commission: Decimal | None = _money()
    storage: Decimal | None = _money()
    rate_profit: Decimal | None = None
    rate_margin: Decimal | None = None
    exit_level: EnumValue | None = _enum("ModelExitLevel")
    exit_profit: Decimal | None = None
    exit_loss: Decimal | None = field(default=None, metadata={"wire": ("exit_loos", "exit_loss")})
    volume_initial: Decimal | None = None
    volume_current: Decimal | None = None
    volume_initial_ext: Decimal | None = None
    volume_current_ext: Decimal | None = None
    comment: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Deal(_Wire):
    id: int
    external_id: str = ""
    account_id: int | None = None
    dealer_id: int | None = None
    order_id: int | None = None
    position_id: int | None = None
    symbol_id: int | None = None
    symbol: str = field(default="", metadata={"parse": _symbol_code})
    action: int | None = None
    entry: int | None = None
    direction: EnumValue | None = _enum("ModelDirectionType")
    side: EnumValue | None = _enum("ModelSideType")
    reason: EnumValue | None = _enum("ModelReasonType")
    channel: EnumValue | None = _enum("ModelChannelType")
    digits: int | None = None
    digits_currency: int | None = None
    contract_size: Decimal | None = None
    price: Decimal | None = _price()
    price_position: Decimal | None = _price()
    price_sl: Decimal | None = _price()
    price_tp: Decimal | None = _price()
    volume: Decimal | None = None
    closed_volume: Decimal | None = None
    external_volume: Decimal | None = None
    external_volume_closed: Decimal | None = None
    profit: Decimal | None = _money()
    profit_raw: Decimal | None = _money()
    commission: Decimal | None = _money()
    swap: Decimal | None = _money()
    fee: Decimal | None = _money()
    storage: Decimal | None = _money()
    tick_value: Decimal | None = None
    tick_size: Decimal | None = None
    market_bid: Decimal | None = _price()
    market_ask: Decimal | None = _price()
    market_last: Decimal | None = _price()
    comment: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Transaction(_Wire):
    """A money operation on an account (deposit, withdrawal, credit_in, credit_out)."""

    id: int
    account_id: int | None = None
    type: str = ""
    amount: Decimal | None = None
    balance: Decimal | None = None
    credit: Decimal | None = None
    comment: str = ""
    deal_id: int | None = None
    created_at: datetime | None = None

    @property
    def label(self) -> str:
        return TRANSFER_LABELS.get(self.type, self.type.replace("_", " ").capitalize())


TRANSFER_LABELS = {
    "deposit": "Deposit",
    "withdrawal": "Withdrawal",
    "credit_in": "Credit in",
    "credit_out": "Credit out",
}


def group_tree(groups: Sequence[Group]) -> list[Group]:
    """Roots with `children` filled from the flat list's parent_id (orphans become roots)."""
    by_parent: dict[int | None, list[Group]] = {}
    ids = {g.id for g in groups}
    for group in groups:
        parent = group.parent_id if group.parent_id in ids and group.parent_id != group.id else None
        by_parent.setdefault(parent, []).append(group)

    def attach(group: Group, seen: frozenset[int]) -> Group:
        kids = [attach(k, seen | {k.id}) for k in by_parent.get(group.id, []) if k.id not in seen]
        return replace(group, children=tuple(kids))

    return [attach(root, frozenset({root.id})) for root in by_parent.get(None, [])]


def flatten_groups(groups: Sequence[Group]) -> list[Group]:
    """A tree (or a list that nests children) -> every group once, children emptied."""
    flat: dict[int, Group] = {}

    def walk(group: Group, parent_id: int | None) -> None:
        if group.id in flat:
            return
        parent = group.parent_id if group.parent_id is not None else parent_id
        flat[group.id] = replace(group, children=(), parent_id=parent)
        for child in group.children:
            walk(child, group.id)

    for group in groups:
        walk(group, None)
    return list(flat.values())
