"""Writes against the simulator: plain dicts with clean names in, entities out, field errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmportal.omtrader.errors import NotFound, Rejected
from tests.omtrader.conftest import delta

pytestmark = pytest.mark.timeout(60)

NEW_CLIENT = {"first_name": "Grace", "family_name": "Hopper", "email": "grace@example.com",
              "type": 0, "status": 1, "birth_date": date(1986, 12, 9),
              "annual_income": Decimal("52000.50")}


def test_it_creates_updates_and_deletes_a_client(omt):
    client = omt.create_client(NEW_CLIENT)
    assert client.id and client.name == "Grace Hopper" and client.kyc_pending
    assert client.birth_date == date(1986, 12, 9)
    assert client.annual_income == Decimal("52000.5")
    updated = omt.update_client(client.id, {"kyc_status": 0, "city": "Arlington"})
    assert updated.kyc_status == 0 and updated.kyc_label == "Accepted"
    assert omt.get_client(client.id).city == "Arlington"
    omt.delete_client(client.id)
    with pytest.raises(NotFound):
        omt.get_client(client.id)


def test_it_puts_upstream_validation_messages_on_the_fields(omt):
    with pytest.raises(Rejected) as caught:
        omt.create_client({"first_name": "No", "family_name": "Mail", "email": "not-an-address"})
    assert caught.value.status == 400
    assert "email" in caught.value.field_errors


def test_it_reports_a_business_rule_refusal_as_rejected(omt):
    client = omt.get_client(1)
    assert client.accounts
    with pytest.raises(Rejected) as caught:
        omt.delete_client(1)
    assert caught.value.status == 409 and "account" in caught.value.message


def test_it_creates_funds_and_deletes_an_account(omt):
    client = omt.create_client(NEW_CLIENT)
    account = omt.create_account({"client_id": client.id, "group_id": 6, "leverage": 50,
                                  "user_password": "Sup3r-secret", "investor_password":
                                  "Inv3stor-secret", "first_name": "Grace"})
    assert account.client_id == client.id and account.group_id == 6 and account.leverage == 50
    tx = omt.transfer_money(account.id, "deposit", Decimal("1500.25"), "first funding")
    assert tx.type == "deposit" and tx.amount == Decimal("1500.25")
    assert tx.balance == Decimal("1500.25") and tx.comment == "first funding"
    assert omt.get_account(account.id).balance == Decimal("1500.25")
    assert tx.id in [t.id for t in omt.list_transactions(account.id)]
    with pytest.raises(Rejected) as caught:
        omt.transfer_money(account.id, "withdrawal", 999999)
    assert "amount" in caught.value.field_errors
    moved = omt.update_account(account.id, {"leverage": 20, "enable_risk_management": True,
                                            "max_day_loss": Decimal("100")})
    assert moved.leverage == 20 and moved.enable_risk_management
    assert moved.max_day_loss == Decimal("100.00")
    omt.delete_account(account.id)
    omt.delete_client(client.id)
    with pytest.raises(NotFound):
        omt.get_account(account.id)


def test_it_checks_a_transfer_before_sending_it(sim, omt):
    before = sim.counters()
    with pytest.raises(Rejected) as caught:
        omt.transfer_money(1, "deposit", "-5")
    assert "amount" in caught.value.field_errors
    with pytest.raises(Rejected) as caught:
        omt.transfer_money(1, "gift", 5)
    assert "type" in caught.value.field_errors
    assert delta(before, sim.counters(), "POST", "/api/v1/manager/accounts/{id}/money") == 0


def test_it_creates_updates_and_deletes_a_commission_with_tiers(omt):
    created = omt.create_commission({
        "group_id": 6, "name": "Test per lot", "symbol_class_id": 1,
        "tiers": [{"type": 0, "value": Decimal("4.5"), "currency": "USD"}],
    })
    assert created.name == "Test per lot" and created.tiers[0].value == Decimal("4.5")
    assert created.id in [c.id for c in omt.list_commissions(6)]
    updated = omt.update_commission(created.id, {"tiers": [
        {"type": 0, "value": 3, "range_from": 0, "range_to": 10},
        {"type": 0, "value": 2, "range_from": 10},
    ]})
    assert [t.value for t in updated.tiers] == [3, 2]
    with pytest.raises(Rejected) as caught:
        omt.update_commission(created.id, {"tiers": [{"type": 0, "value": -1}]})
    assert "tiers[0].value" in caught.value.field_errors
    omt.delete_commission(created.id)
    assert created.id not in [c.id for c in omt.list_commissions(6)]


def test_it_updates_a_group_and_a_group_symbol(omt):
    group = omt.get_group(9)
    try:
        updated = omt.update_group(9, {"desc": "Live Islamic (test)", "limit_orders": 150})
        assert updated.name == "Live Islamic (test)" and updated.limit_orders == 150
        with pytest.raises(Rejected) as caught:
            omt.update_group(9, {"margin_stop_out": Decimal("500")})
        assert "margin_stop_out" in caught.value.field_errors
    finally:
        omt.update_group(9, {"desc": group.desc, "limit_orders": group.limit_orders})
    row = omt.list_group_symbols(6)[0]
    changed = omt.update_group_symbol(row.id, {"spread": row.spread + 3})
    assert changed.id == row.id and changed.spread == row.spread + 3
    omt.update_group_symbol(row.id, {"spread": row.spread})
