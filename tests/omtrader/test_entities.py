"""Wire JSON -> entities, without the network: tolerance, typos, digits, labels, errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from crmportal.omtrader.entities import (
    AccountSummary,
    Client,
    Commission,
    Group,
    LoginSession,
    Order,
    Position,
    Symbol,
    TradingAccount,
    flatten_groups,
    group_tree,
)
from crmportal.omtrader.enums import EnumValue, choices
from crmportal.omtrader.errors import BadResponse, Unavailable
from crmportal.omtrader.transport import envelope, to_wire


def wire(text: str) -> dict:
    return json.loads(text, parse_float=Decimal)


def test_it_parses_nanosecond_and_short_fraction_timestamps_as_aware_utc():
    order = Order.from_wire({"id": 1, "time_setup": "2025-09-22T08:57:59.148078179Z",
                             "time_done": "2025-09-22T15:19:58.54515Z",
                             "created_at": "2025-09-22T17:19:58+02:00"})
    assert order.time_setup == datetime(2025, 9, 22, 8, 57, 59, 148078, tzinfo=UTC)
    assert order.time_done == datetime(2025, 9, 22, 15, 19, 58, 545150, tzinfo=UTC)
    assert order.created_at == datetime(2025, 9, 22, 15, 19, 58, tzinfo=UTC)


def test_it_treats_go_zero_time_and_empty_strings_as_absent():
    order = Order.from_wire({"id": 1, "time_done": "0001-01-01T00:00:00Z", "time_setup": ""})
    assert order.time_done is None and order.time_setup is None


def test_it_maps_the_wire_typos_to_clean_names():
    position = Position.from_wire({"id": 3, "exit_loos": 12.5})
    account = TradingAccount.from_wire({"id": 4, "liqudation_status": 1})
    order = Order.from_wire({"id": 5, "expiration_police": 2})
    assert position.exit_loss == Decimal("12.5")
    assert account.liquidation_status == EnumValue(1, "Margin call reached")
    assert order.expiration_policy == EnumValue(2, "Specified time")


def test_it_quantizes_money_and_prices_to_the_records_digits():
    position = Position.from_wire(wire(
        '{"id": 1, "digits": 5, "digits_currency": 2, "price_open": 1.1,'
        ' "price_current": 1.123456, "profit": -10.005, "volume_current": 0.1}'
    ))
    assert str(position.price_open) == "1.10000"
    assert str(position.price_current) == "1.12346"
    assert str(position.profit) == "-10.01"
    assert position.volume_current == Decimal("0.1")
    account = TradingAccount.from_wire(wire('{"id": 2, "currency_digits": 2, "balance": 100}'))
    assert str(account.balance) == "100.00"


def test_it_reads_only_the_fields_asked_for_and_what_they_are_rounded_to():
    raw = wire('{"id": 1, "account_id": 7, "digits": 5, "digits_currency": 2, "price_open": 1.1,'
               ' "profit": -10.005, "comment": "hedge", "swaps": 1.5}')
    position = Position.from_wire(raw, only=frozenset({"profit", "account_id"}))
    assert str(position.profit) == "-10.01"  # rounded to digits_currency, read with it
    assert position.account_id == 7 and position.digits_currency == 2
    assert position.price_open is None and position.comment == "" and position.swaps is None
    assert Position.from_wire(raw).comment == "hedge"


def test_it_ignores_unknown_fields_and_defaults_missing_ones():
    client = Client.from_wire({"id": 9, "first_name": "Ada", "shoe_size": 38})
    assert client.first_name == "Ada"
    assert client.email == "" and client.type is None and client.accounts == ()
    assert client.birth_date is None and client.kyc_pending


def test_it_keeps_the_raw_kyc_code():
    assert Client.from_wire({"id": 1, "kyc_status": 0}).kyc_status == 0
    assert Client.from_wire({"id": 1, "kyc_status": 1}).kyc_label == "Rejected"
    assert Client.from_wire({"id": 1, "kyc_status": None}).kyc_label == "Pending"


def test_it_gives_enum_fields_human_labels_and_survives_unknown_codes():
    client = Client.from_wire({"id": 1, "type": 0, "status": 99, "birth_date": "1990-02-03"})
    assert client.type == EnumValue(0, "Individual")
    assert client.status == EnumValue(99, "Unknown (99)")
    assert client.birth_date == date(1990, 2, 3)
    assert (1, "Margin call reached") in choices("ModelLiqudationStatus")


def test_it_names_entity_and_field_of_a_wrong_type():
    with pytest.raises(BadResponse) as caught:
        Client.from_wire({"id": 1, "accounts": [{"id": 2, "balance": "lots"}]})
    assert "Client.accounts[0].balance" in caught.value.message
    assert "expected a number, got str" in caught.value.message
    assert "lots" not in caught.value.message  # values may be personal data
    with pytest.raises(BadResponse, match=r"TradingAccount\.id without a value"):
        TradingAccount.from_wire({"balance": 1})
    with pytest.raises(BadResponse, match=r"Order\.created_at"):
        Order.from_wire({"id": 1, "created_at": "yesterday"})


def test_it_parses_nested_commission_tiers_and_symbol_code_lists():
    commission = Commission.from_wire(wire(
        '{"id": 3, "name": "FX", "commission_tiers": [{"id": 1, "type": 0, "value": 3.5}]}'
    ))
    assert commission.tiers[0].value == Decimal("3.5")
    symbol = Symbol.from_wire({"id": 1, "orders": "0,1,6", "expiration": "0,3"})
    assert [o.label for o in symbol.orders] == ["Market order", "Buy limit", "Sell stop limit"]
    assert symbol.expiration[1].label == "Specified day"


def test_it_builds_a_tree_from_flat_groups_and_flattens_it_back():
    flat = [Group.from_wire({"id": i, "parent_id": p, "desc": f"g{i}"})
            for i, p in ((1, 0), (2, 1), (3, 1), (4, 2))]
    [root] = group_tree(flat)
    assert [c.id for c in root.children] == [2, 3]
    assert root.children[0].children[0].id == 4
    assert sorted(g.id for g in flatten_groups([root])) == [1, 2, 3, 4]
    assert all(g.children == () for g in flatten_groups([root]))


def test_it_summarises_an_account():
    account = TradingAccount.from_wire({"id": 7, "group_id": 4, "currency_digits": 2,
                                        "balance": 10, "equity": 12})
    summary = AccountSummary.of(account)
    assert summary.id == 7 and str(summary.equity) == "12.00"


def test_it_hides_tokens_in_the_login_session_repr():
    session = LoginSession("secret-token", "secret-session", datetime.now(UTC), 2)
    assert "secret" not in repr(session)


def test_it_checks_the_envelope_even_on_a_2xx():
    body = b'{"success": false, "code": 404, "data": null, "error": "Not Found", "message": "x"}'
    with pytest.raises(Exception) as caught:
        envelope(200, body, "GET /x")
    assert type(caught.value).__name__ == "NotFound"
    with pytest.raises(BadResponse):
        envelope(200, b"<html>", "GET /x")
    with pytest.raises(Unavailable):
        envelope(502, b"<html>bad gateway</html>", "GET /x")
    with pytest.raises(BadResponse):
        envelope(200, b'{"data": []}', "GET /x")


def test_it_writes_clean_names_and_python_values_as_wire_json():
    body = to_wire({"exit_loss": Decimal("1.50"), "tiers": [{"value": Decimal("2")}],
                    "type": EnumValue(1, "Corporate"), "birth_date": date(1990, 1, 2),
                    "when": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)})
    assert body == {"exit_loos": 1.5, "commission_tiers": [{"value": 2}], "type": 1,
                    "birth_date": "1990-01-02", "when": "2025-01-02T03:04:05Z"}


@pytest.mark.parametrize(("status", "kind", "maybe_applied"), [
    (400, "Rejected", False), (401, "Unauthorized", False), (403, "Forbidden", False),
    (404, "NotFound", False), (409, "Rejected", False), (422, "Rejected", False),
    (429, "ServerError", False), (500, "ServerError", True), (503, "ServerError", True),
])
def test_it_maps_each_status_to_one_error(status, kind, maybe_applied):
    body = json.dumps({"success": False, "code": status, "error": "Label", "message": "Why",
                       "data": {"fields": {"exit_loos": "too far", "commission_tiers[1].value":
                                           "must be at least 0"}}}).encode()
    with pytest.raises(Exception) as caught:
        envelope(status, body, "PUT /x")
    assert type(caught.value).__name__ == kind and caught.value.status == status
    assert caught.value.maybe_applied is maybe_applied
    if kind == "Rejected":
        assert caught.value.message == "Why"
        assert caught.value.field_errors == {"exit_loss": "too far",
                                             "tiers[1].value": "must be at least 0"}


def test_it_answers_a_templates_key_lookup_with_the_field():
    position = Position.from_wire(wire('{"id": 7, "digits": 5, "price_open": 1.1, "side": 1}'))
    assert position["price_open"] == position.price_open and position["id"] == 7
    with pytest.raises(KeyError):
        position["shoe_size"]
    with pytest.raises(TypeError):
        position[0]
    page = Template("{{ p.id }} {{ p.price_open }} {{ p.side.label }} [{{ p.shoe_size }}]")
    assert page.render(Context({"p": position})) == f"7 1.10000 {position.side.label} []"
