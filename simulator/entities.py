"""Wire shapes of docs/omtrader-api.md §6: every field, wire typos kept (`liqudation_status`,
`exit_loos`).

Records are stored as the dicts that go on the wire, so a read is a plain `json.dumps`.
Nested collections hold references to the live dicts (client.accounts, group.groups).
"""

from __future__ import annotations

from typing import Any

from .symbols import CATALOGUE, SYMBOL_CLASSES, Instrument

CLIENT_FIELDS = (
    "id", "type", "status", "kyc_status", "manager_id", "preferred_group", "approved_by",
    "approval_date", "close_date", "last_contact_date", "lead_source", "lead_campaign",
    "introducer", "title", "first_name", "middle_name", "family_name", "gender", "birth_date",
    "language", "preferred_method", "mobile", "local_number", "email", "messengers",
    "social_networks", "external_id", "document_type", "document_number", "issue_date",
    "expiry_date", "comment", "country", "state", "city", "zip_code", "address", "national",
    "tax_id", "employment_status", "employment_industry", "education_level", "source_of_wealth",
    "net_worth", "annual_income", "annual_deposit", "forex_experience", "stocks_experience",
    "cfd_experience", "futures_experience", "user_id", "accounts", "created_at", "updated_at",
    "created_by", "updated_by",
)

ACCOUNT_FIELDS = (
    "id", "user_id", "client_id", "group_id", "currency", "currency_digits", "leverage",
    "trade_type", "balance", "credit", "equity", "margin", "margin_free", "margin_level",
    "margin_initial", "margin_maintenance", "margin_leverage", "profit", "floating", "storage",
    "assets", "liabilities", "blocked_commission", "blocked_profit", "day_profit", "week_profit",
    "month_profit", "liqudation_status", "enable_risk_management", "max_day_loss",
    "max_day_profit", "max_week_loss", "max_week_profit", "max_month_loss", "max_month_profit",
    "orders", "positions", "deals", "user", "created_at", "updated_at",
)

USER_FIELDS = (
    "id", "username", "first_name", "middle_name", "family_name", "company", "email", "phone",
    "country", "state", "city", "zip_code", "address", "language", "comment", "id_number",
    "api_key", "bank_account", "agent_account", "favourite", "manage_group_id", "role_id",
    "role", "group", "client", "account", "status", "type", "created_at", "updated_at",
    "created_by", "updated_by",
)

GROUP_FIELDS = (
    "id", "root", "parent_id", "group_type", "desc", "status", "currency", "currency_digits",
    "default_leverage", "limit_history", "limit_orders", "limit_positions",
    "limit_positions_volume", "limit_symbols", "margin_mode", "margin_call", "margin_stop_out",
    "full_stop_out", "compensate_negative_balance", "groups", "trade_accounts", "created_at",
    "updated_at", "created_by", "updated_by",
)

ORDER_FIELDS = (
    "id", "account_id", "symbol_id", "type", "side", "status", "reason", "volume_initial",
    "volume_current", "volume_initial_ext", "volume_current_ext", "price_order",
    "price_trigger", "price_current", "price_sl", "price_tp", "expiration_policy", "type_fill",
    "type_time", "time_setup", "time_expiration", "time_done", "position_id", "position_by_id",
    "position", "position_by", "exit_level", "exit_profit", "exit_loos", "digits",
    "digits_currency", "contract_size", "rate_margin", "dealer_id", "external_id", "comment",
    "account", "symbol", "created_at", "updated_at", "created_by", "updated_by",
)

POSITION_FIELDS = (
    "id", "external_id", "account_id", "dealer_id", "symbol_id", "action", "side", "status",
    "reason", "digits", "digits_currency", "contract_size", "price_open", "price_current",
    "price_sl", "price_tp", "profit", "total_profit", "swaps", "commission", "storage",
    "rate_profit", "rate_margin", "exit_level", "exit_profit", "exit_loos", "volume_initial",
    "volume_current", "volume_initial_ext", "volume_current_ext", "comment", "deals", "account",
    "symbol", "created_at", "updated_at", "created_by", "updated_by",
)

DEAL_FIELDS = (
    "id", "external_id", "account_id", "dealer_id", "order_id", "position_id", "symbol_id",
    "action", "entry", "direction", "side", "reason", "channel", "digits", "digits_currency",
    "contract_size", "price", "price_position", "price_sl", "price_tp", "volume",
    "closed_volume", "external_volume", "external_volume_closed", "profit", "profit_raw",
    "commission", "swap", "fee", "storage", "tick_value", "tick_size", "market_bid",
    "market_ask", "market_last", "comment", "symbol", "account", "created_at", "updated_at",
    "created_by", "updated_by",
)

TRANSACTION_FIELDS = (
    "id", "account_id", "type", "amount", "balance", "credit", "comment", "deal_id", "created_at",
)

COMMISSION_FIELDS = (
    "id", "group_id", "symbol_class_id", "name", "desc", "mode", "mode_range", "mode_charge",
    "mode_entry", "mode_action", "mode_profit", "mode_reason", "commission_tiers",
)

TIER_FIELDS = ("id", "mode", "type", "value", "range_from", "range_to", "min", "max", "currency")

GROUP_SYMBOL_FIELDS = (
    "id", "group_id", "symbol_id", "symbol", "enabled", "spread", "spread_balance", "swap_long",
    "swap_short", "margin_initial", "margin_maintenance", "commission_id", "trade_level",
)

SYMBOL_LIVE_FIELDS = (
    "open", "close", "high_ask", "high_bid", "low_ask", "low_bid", "last_ask", "last_bid",
    "volume", "ts", "chart_mode",
)


def blank(fields: tuple[str, ...], **values: Any) -> dict[str, Any]:
    """A record with every field present (None unless given)."""
    record = dict.fromkeys(fields)
    record.update(values)
    return record


def symbol_class(cls_id: int) -> dict[str, Any]:
    return {"id": cls_id, "parent_id": 0, "desc": SYMBOL_CLASSES[cls_id],
            "symbol_classes": [], "symbols": []}


def symbol_record(sid: int, ins: Instrument, now: str) -> dict[str, Any]:
    point = 10 ** -ins.digits
    orders = "0,1,2,3,4,5,6"
    return {
        "id": sid, "symbol": ins.code, "isin": f"SIM{sid:04d}{ins.code}", "desc": ins.desc,
        "base_currency": ins.base, "quote_currency": ins.quote,
        "symbol_scale": ins.digits, "quote_scale": ins.digits,
        "broker_fee": 0.0, "maker_fee": 0.0,
        "symbol_class": symbol_class(ins.cls), "symbol_class_id": ins.cls, "margin_flags": 0,
        "margin_initial": ins.margin_initial, "margin_maintenance": ins.margin_initial,
        "margin_buy": ins.margin_initial, "margin_sell": ins.margin_initial,
        "margin_hedged": 0.5 * ins.margin_initial,
        "buy_limit": ins.margin_initial, "sell_limit": ins.margin_initial,
        "buy_stop": ins.margin_initial, "sell_stop": ins.margin_initial,
        "buy_stop_limit": ins.margin_initial, "sell_stop_limit": ins.margin_initial,
        "maintenance_margin_buy": ins.margin_initial,
        "maintenance_margin_sell": ins.margin_initial,
        "maintenance_buy_limit": ins.margin_initial, "maintenance_sell_limit": ins.margin_initial,
        "maintenance_buy_stop": ins.margin_initial, "maintenance_sell_stop": ins.margin_initial,
        "maintenance_buy_stop_limit": ins.margin_initial,
        "maintenance_sell_stop_limit": ins.margin_initial,
        "enabled": True, "status": 0, "trade_level": 0, "execution": 2, "gtc": 0, "filling": 0,
        "expiration": "0,1,2,3", "orders": orders,
        "min_value": ins.min_value, "max_value": ins.max_value, "step": ins.step,
        "contract_size": ins.contract_size, "digits": ins.digits,
        "tick_size": point, "tick_value": round(point * ins.contract_size, 10),
        "spread": ins.spread, "spread_balance": 0, "stop_level": 0,
        "swaps_enabled": True, "swap_type": 0,
        "swap_long": ins.swap_long, "swap_short": ins.swap_short,
        "swap_days": "1,2,3,4,5", "swap_days_year": 360,
        "calculation": ins.calc, "conversion_currency": 0, "conversion_type": 0,
        "dataSource": {"feeder": "sim-feed", "symbol": ins.code, "digits": ins.digits,
                       "bid_markup": 0, "ask_markup": 0, "symbols": []},
        "data_source_feeder": "sim-feed", "data_source_symbol": ins.code,
        "symbol_map": ins.code, "delay": 0, "timeout": 60, "time_limit": "",
        "trade_sessions": "Mon-Fri 00:00-24:00", "quote_sessions": "Mon-Fri 00:00-24:00",
        "larger_leg_enabled": False, "max_loss_deviation": 0.0, "max_profit_deviation": 0.0,
        "max_time_deviation": 0.0,
        "open": ins.price, "close": ins.price, "high_ask": ins.price, "high_bid": ins.price,
        "low_ask": ins.price, "low_bid": ins.price, "last_ask": ins.price,
        "last_bid": ins.price, "volume": 0.0, "ts": 0, "chart_mode": 0,
        "created_at": now, "updated_at": now, "created_by": 1, "updated_by": 1,
    }


def sortable_fields(fields: tuple[str, ...], nested: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f for f in fields if f not in nested)


SORTABLE = {
    "clients": sortable_fields(CLIENT_FIELDS, ("accounts",)),
    "accounts": sortable_fields(ACCOUNT_FIELDS, ("orders", "positions", "deals", "user")),
    "groups": sortable_fields(GROUP_FIELDS, ("groups", "trade_accounts")),
    "orders": sortable_fields(ORDER_FIELDS, ("position", "position_by", "account", "symbol")),
    "positions": sortable_fields(POSITION_FIELDS, ("deals", "account", "symbol")),
    "deals": sortable_fields(DEAL_FIELDS, ("symbol", "account")),
    "transactions": frozenset(TRANSACTION_FIELDS),
    "commissions": sortable_fields(COMMISSION_FIELDS, ("commission_tiers",)),
    "symbols": frozenset(
        k for k in symbol_record(0, CATALOGUE[0], "")
        if k not in ("symbol_class", "dataSource")
    ),
    "group_symbols": frozenset(GROUP_SYMBOL_FIELDS),
}
