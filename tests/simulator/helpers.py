"""Helpers for the simulator tests: an authenticated client, waiting, reference shapes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

M = "/api/v1/manager"
TIMEOUT = 10


class Api:
    """requests against the simulator with the manager's bearer token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.http.request(method, self.url + path, timeout=TIMEOUT, **kw)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.call("POST", path, json=body)

    def put(self, path: str, body: Any = None) -> requests.Response:
        return self.call("PUT", path, json=body)

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)

    def data(self, path: str, **params: Any) -> Any:
        resp = self.get(path, **params)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    def records(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return self.data(path, page=-1, **params)["records"]

    def close(self) -> None:
        self.http.close()


def wait_for(condition: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        pause.wait(0.02)


def assert_envelope(resp: requests.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert list(body) == ["success", "code", "data", "error", "message"]
    assert body["code"] == status
    assert body["success"] is (200 <= status < 300)
    if body["success"]:
        assert body["error"] == "" and body["message"] == ""
    else:
        assert body["error"] and body["message"]
    return body


def field_errors(resp: requests.Response) -> dict[str, str]:
    body = assert_envelope(resp, 400)
    assert body["error"] == "Invalid Input"
    return body["data"]["fields"]


# Field names as docs/omtrader-api.md §6 lists them (written out here, not imported from the
# simulator).
CLIENT = """id type status kyc_status manager_id preferred_group approved_by approval_date
close_date last_contact_date lead_source lead_campaign introducer title first_name middle_name
family_name gender birth_date language preferred_method mobile local_number email messengers
social_networks external_id document_type document_number issue_date expiry_date comment
country state city zip_code address national tax_id employment_status employment_industry
education_level source_of_wealth net_worth annual_income annual_deposit forex_experience
stocks_experience cfd_experience futures_experience user_id accounts created_at updated_at
created_by updated_by""".split()

ACCOUNT = """id user_id client_id group_id currency currency_digits leverage trade_type balance
credit equity margin margin_free margin_level margin_initial margin_maintenance margin_leverage
profit floating storage assets liabilities blocked_commission blocked_profit day_profit
week_profit month_profit liqudation_status enable_risk_management max_day_loss max_day_profit
max_week_loss max_week_profit max_month_loss max_month_profit orders positions deals
user""".split()

USER = """id username first_name middle_name family_name company email phone country state city
zip_code address language comment id_number api_key bank_account agent_account favourite
manage_group_id role_id role group client account status type created_at updated_at created_by
updated_by""".split()

GROUP = """id root parent_id group_type desc status currency currency_digits default_leverage
limit_history limit_orders limit_positions limit_positions_volume limit_symbols margin_mode
margin_call margin_stop_out full_stop_out compensate_negative_balance groups trade_accounts
created_at updated_at created_by updated_by""".split()

COMMISSION = """group_id symbol_class_id name desc mode mode_range mode_charge mode_entry
mode_action mode_profit mode_reason commission_tiers""".split()
TIER = "mode type value range_from range_to min max currency".split()

SYMBOL = """id symbol isin desc base_currency quote_currency symbol_scale quote_scale broker_fee
maker_fee symbol_class symbol_class_id margin_flags margin_initial margin_maintenance margin_buy
margin_sell margin_hedged buy_limit sell_limit buy_stop sell_stop buy_stop_limit sell_stop_limit
maintenance_margin_buy maintenance_margin_sell maintenance_buy_limit maintenance_sell_limit
maintenance_buy_stop maintenance_sell_stop maintenance_buy_stop_limit
maintenance_sell_stop_limit enabled status trade_level execution gtc filling expiration orders
min_value max_value step contract_size digits tick_size tick_value spread spread_balance
stop_level swaps_enabled swap_type swap_long swap_short swap_days swap_days_year calculation
conversion_currency conversion_type dataSource data_source_feeder data_source_symbol symbol_map
delay timeout time_limit trade_sessions quote_sessions larger_leg_enabled max_loss_deviation
max_profit_deviation max_time_deviation created_at updated_at created_by updated_by""".split()

ORDER = """id account_id symbol_id type side status reason volume_initial volume_current
volume_initial_ext volume_current_ext price_order price_trigger price_current price_sl price_tp
expiration_policy type_fill type_time time_setup time_expiration time_done position_id
position_by_id position position_by exit_level exit_profit exit_loos digits digits_currency
contract_size rate_margin dealer_id external_id comment account symbol created_at updated_at
created_by updated_by""".split()

POSITION = """id external_id account_id dealer_id symbol_id action side status reason digits
digits_currency contract_size price_open price_current price_sl price_tp profit total_profit
swaps commission storage rate_profit rate_margin exit_level exit_profit exit_loos volume_initial
volume_current volume_initial_ext volume_current_ext comment deals account symbol created_at
updated_at created_by updated_by""".split()

DEAL = """id external_id account_id dealer_id order_id position_id symbol_id action entry
direction side reason channel digits digits_currency contract_size price price_position price_sl
price_tp volume closed_volume external_volume external_volume_closed profit profit_raw commission
swap fee storage tick_value tick_size market_bid market_ask market_last comment symbol account
created_at updated_at created_by updated_by""".split()

TRANSACTION = "id account_id type amount balance credit comment deal_id created_at".split()

GROUP_SYMBOL = """id group_id symbol_id symbol enabled spread spread_balance swap_long swap_short
margin_initial margin_maintenance commission_id trade_level""".split()

SUMMARY = """id group_id client_id currency currency_digits balance credit equity margin
margin_free margin_level profit liqudation_status updated_at""".split()


def has_fields(record: dict[str, Any], fields: list[str]) -> None:
    missing = [f for f in fields if f not in record]
    assert not missing, f"missing fields {missing}"


RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$"
