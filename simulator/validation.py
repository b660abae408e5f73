"""Body validation: per-field messages for wrong types, missing fields and unknown enum codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import enums as E
from .envelope import invalid


@dataclass(frozen=True)
class F:
    kind: str  # int, number, string, bool, date, list
    required: bool = False
    codes: range | tuple[Any, ...] | None = None
    nullable: bool = True
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False


Schema = dict[str, F]


def check(value: Any, spec: F) -> str | None:
    """The error message for one value, or None if it is fine."""
    if value is None:
        return None if spec.nullable and not spec.required else "this field is required"
    kind = spec.kind
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return "must be an integer"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return "must be a number"
    if kind == "string" and not isinstance(value, str):
        return "must be a string"
    if kind == "bool" and not isinstance(value, bool):
        return "must be a boolean"
    if kind == "list" and not isinstance(value, list):
        return "must be a list"
    if kind == "date":
        if not isinstance(value, str):
            return "must be a date (YYYY-MM-DD)"
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
        if len(value) != 10:
            return "must be a date (YYYY-MM-DD)"
    if spec.codes is not None and value not in spec.codes:
        codes = list(spec.codes)
        return f"unknown code {value!r}; expected one of {', '.join(map(str, codes))}"
    if spec.positive and value <= 0:
        return "must be greater than 0"
    if spec.minimum is not None and value < spec.minimum:
        return f"must be at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return f"must be at most {spec.maximum:g}"
    return None


def validate(data: Any, schema: Schema, *, partial: bool = False, prefix: str = "",
             extra: Callable[[dict[str, Any]], dict[str, str]] | None = None) -> dict[str, Any]:
    """Known fields of `data` checked against `schema`; raises a 400 ApiError.

    Unknown fields are ignored (read-only fields such as `id` or `created_at` included).
    With `partial` (updates) nothing is required.
    """
    if not isinstance(data, dict):
        raise invalid({"body": "must be a JSON object"}, "the request body must be a JSON object")
    errors = collect(data, schema, partial=partial, prefix=prefix)
    if extra is not None:
        for name, message in extra(data).items():
            errors.setdefault(name, message)
    if errors:
        raise invalid(errors)
    return {k: data[k] for k in schema if k in data}


def collect(data: dict[str, Any], schema: Schema, *, partial: bool,
            prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, spec in schema.items():
        if name not in data:
            if spec.required and not partial:
                errors[prefix + name] = "this field is required"
            continue
        value = data[name]
        if value is None and spec.required:
            errors[prefix + name] = "this field is required"
            continue
        message = check(value, spec)
        if message:
            errors[prefix + name] = message
    return errors


def _email(value: Any) -> str | None:
    if isinstance(value, str) and value and ("@" not in value or value.startswith("@")):
        return "enter a valid e-mail address"
    return None


_s, _d, _n = F("string"), F("date"), F("number", minimum=0)

CLIENT: Schema = {
    "type": F("int", codes=E.CLIENT_TYPE, nullable=False),
    "status": F("int", codes=E.CLIENT_STATUS, nullable=False),
    "kyc_status": F("int", codes=E.KYC_STATUS),
    "manager_id": F("int"), "preferred_group": F("int"), "approved_by": F("int"),
    "approval_date": _d, "close_date": _d, "last_contact_date": _d,
    "lead_source": _s, "lead_campaign": _s, "introducer": _s, "title": _s,
    "first_name": F("string", required=True), "middle_name": _s,
    "family_name": F("string", required=True), "gender": _s, "birth_date": _d,
    "language": _s, "preferred_method": F("int", codes=E.PREFERRED_METHOD),
    "mobile": _s, "local_number": _s, "email": F("string", required=True),
    "messengers": _s, "social_networks": _s, "external_id": _s,
    "document_type": F("int", codes=E.DOCUMENT_TYPE), "document_number": _s,
    "issue_date": _d, "expiry_date": _d, "comment": _s, "country": _s, "state": _s,
    "city": _s, "zip_code": _s, "address": _s, "national": _s, "tax_id": _s,
    "employment_status": F("int", codes=E.EMPLOYMENT_STATUS),
    "employment_industry": F("int", codes=E.EMPLOYMENT_INDUSTRY),
    "education_level": F("int", codes=E.EDUCATION_LEVEL),
    "source_of_wealth": F("int", codes=E.SOURCE_OF_WEALTH),
    "net_worth": _n, "annual_income": _n, "annual_deposit": _n,
    "forex_experience": F("int", codes=E.TRADING_EXPERIENCE),
    "stocks_experience": F("int", codes=E.TRADING_EXPERIENCE),
    "cfd_experience": F("int", codes=E.TRADING_EXPERIENCE),
    "futures_experience": F("int", codes=E.TRADING_EXPERIENCE),
    "user_id": F("int"),
}

ACCOUNT: Schema = {
    "group_id": F("int", required=True), "client_id": F("int", required=True),
    "username": _s, "user_password": _s, "investor_password": _s,
    "first_name": _s, "middle_name": _s, "family_name": _s, "company": _s, "email": _s,
    "phone": _s, "country": _s, "zip_code": _s, "state": _s, "city": _s, "address": _s,
    "leverage": F("int", minimum=0, maximum=5000, nullable=False),
    "enable_risk_management": F("bool", nullable=False),
    "max_day_loss": _n, "max_day_profit": _n, "max_week_loss": _n, "max_week_profit": _n,
    "max_month_loss": _n, "max_month_profit": _n,
}

GROUP: Schema = {
    "desc": F("string", nullable=False), "status": F("string", nullable=False),
    "group_type": F("int", codes=E.GROUP_TYPE, nullable=False),
    "currency": F("string", nullable=False), "currency_digits": F("int", minimum=0, maximum=8),
    "default_leverage": F("int", minimum=1, maximum=5000, nullable=False),
    "limit_history": F("int", minimum=0), "limit_orders": F("int", minimum=0),
    "limit_positions": F("int", minimum=0), "limit_positions_volume": F("int", minimum=0),
    "limit_symbols": F("int", minimum=0),
    "margin_mode": F("int", codes=E.MARGIN_MODE, nullable=False),
    "margin_call": F("number", minimum=0, nullable=False),
    "margin_stop_out": F("number", minimum=0, nullable=False),
    "full_stop_out": F("bool", nullable=False),
    "compensate_negative_balance": F("bool", nullable=False),
}

COMMISSION: Schema = {
    "group_id": F("int", required=True), "symbol_class_id": F("int", minimum=0),
    "name": F("string", required=True), "desc": _s,
    "mode": F("int"), "mode_range": F("int"), "mode_charge": F("int"),
    "mode_entry": F("int", codes=(0, 1, 2)), "mode_action": F("int", codes=(0, 1, 2)),
    "mode_profit": F("int"), "mode_reason": F("int"),
    "commission_tiers": F("list"),
}

TIER: Schema = {
    "mode": F("int"), "type": F("int", required=True, codes=E.TIER_TYPES),
    "value": F("number", required=True, minimum=0), "range_from": _n, "range_to": _n,
    "min": _n, "max": _n, "currency": _s,
}

GROUP_SYMBOL: Schema = {
    "enabled": F("bool", nullable=False), "spread": F("int", minimum=0, nullable=False),
    "spread_balance": F("int", nullable=False), "swap_long": F("number", nullable=False),
    "swap_short": F("number", nullable=False),
    "margin_initial": F("number", positive=True, nullable=False),
    "margin_maintenance": F("number", positive=True, nullable=False),
    "commission_id": F("int"), "trade_level": F("int", codes=E.TRADE_LEVEL, nullable=False),
}

MONEY_TYPES = ("deposit", "withdrawal", "credit_in", "credit_out")
MONEY: Schema = {
    "type": F("string", required=True, codes=MONEY_TYPES),
    "amount": F("number", required=True, positive=True),
    "comment": _s,
}


def client_extra(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    message = _email(data.get("email"))
    if message:
        errors["email"] = message
    for name in ("first_name", "family_name"):
        if name in data and isinstance(data[name], str) and not data[name].strip():
            errors[name] = "must not be empty"
    return errors


def tier_errors(value: list[Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for i, tier in enumerate(value):
        prefix = f"commission_tiers[{i}]."
        if not isinstance(tier, dict):
            errors[f"commission_tiers[{i}]"] = "must be an object"
            continue
        errors.update(collect(tier, TIER, partial=False, prefix=prefix))
        low, high = tier.get("range_from"), tier.get("range_to")
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      for v in (low, high))
        if numbers and high and high <= low:
            errors[prefix + "range_to"] = "must be greater than range_from"
    return errors
