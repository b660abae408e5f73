"""Trading accounts CRUD, money transfers and transaction history (§5.2 #6-12, §6.2)."""

from __future__ import annotations

from tests.simulator.helpers import (
    ACCOUNT,
    TRANSACTION,
    USER,
    M,
    assert_envelope,
    field_errors,
    has_fields,
)


def new_account(api, **extra):
    body = {"group_id": 6, "client_id": 1, "user_password": "Secret123!",
            "investor_password": "Invest123!", "phone": "+44 1", **extra}
    resp = api.post(M + "/accounts", body)
    return assert_envelope(resp, 201)["data"]


def test_it_returns_the_full_account_shape_without_passwords(api):
    account = api.data(M + "/accounts/1")
    has_fields(account, ACCOUNT)
    has_fields(account["user"], USER)
    text = str(account)
    assert "user_password" not in text and "investor_password" not in text


def test_it_filters_accounts_by_client_and_group(api):
    owner = api.data(M + "/accounts/10")["client_id"]
    rows = api.records(M + "/accounts", client_id=owner)
    assert rows and {a["client_id"] for a in rows} == {owner}
    rows = api.data(M + "/accounts", group_id=7, limit=1000)["records"]
    assert rows and {a["group_id"] for a in rows} == {7}
    rows = api.records(M + "/accounts", group_id="4,5")
    assert {a["group_id"] for a in rows} == {4, 5}
    assert "client_id" in field_errors(api.get(M + "/accounts", client_id="abc"))


def test_it_creates_an_account_in_the_groups_currency(api):
    account = new_account(api, group_id=5, leverage=200)
    assert (account["currency"], account["leverage"], account["balance"]) == ("EUR", 200, 0.0)
    assert account["user"]["phone"] == "+44 1"
    client = api.data(M + "/clients/1")
    assert account["id"] in [a["id"] for a in client["accounts"]]


def test_it_refuses_accounts_for_unknown_groups_clients_and_weak_passwords(api):
    body = {"group_id": 999, "client_id": 999999, "user_password": "short"}
    errors = field_errors(api.post(M + "/accounts", body))
    assert set(errors) == {"group_id", "client_id", "user_password"}
    errors = field_errors(api.post(M + "/accounts", {"group_id": 10, "client_id": 1}))
    assert "group_id" in errors  # an admin group
    errors = field_errors(api.post(M + "/accounts", {"leverage": "high"}))
    assert set(errors) == {"group_id", "client_id", "leverage"}


def test_it_refuses_a_username_another_account_has(api):
    taken = new_account(api, username="taken-name")
    errors = field_errors(api.post(M + "/accounts", {"group_id": 6, "client_id": 1,
                                                     "username": "taken-name"}))
    assert "username" in errors
    other = new_account(api)
    assert "username" in field_errors(api.put(M + f"/accounts/{other['id']}",
                                              {"username": "taken-name"}))
    same = api.put(M + f"/accounts/{taken['id']}", {"username": "taken-name"})
    assert_envelope(same, 200)


def test_it_updates_an_account(api):
    account = new_account(api)
    resp = api.put(f"{M}/accounts/{account['id']}", {"leverage": 50, "city": "Leeds",
                                                     "group_id": 7})
    updated = assert_envelope(resp, 200)["data"]
    assert (updated["leverage"], updated["group_id"]) == (50, 7)
    assert updated["user"]["city"] == "Leeds"
    assert field_errors(api.put(f"{M}/accounts/{account['id']}", {"leverage": 99999}))
    assert_envelope(api.put(M + "/accounts/999999", {"leverage": 1}), 404)


def test_it_deletes_an_empty_account_but_not_one_with_positions(api):
    account = new_account(api)
    assert isinstance(assert_envelope(api.delete(f"{M}/accounts/{account['id']}"), 200)["data"],
                      str)
    assert_envelope(api.get(f"{M}/accounts/{account['id']}"), 404)
    busy = api.data(M + "/positions", limit=1)["records"][0]["account_id"]
    assert_envelope(api.delete(f"{M}/accounts/{busy}"), 409)


def test_it_deposits_and_withdraws_money(api):
    account = new_account(api)
    path = f"{M}/accounts/{account['id']}/money"
    tx = assert_envelope(api.post(path, {"type": "deposit", "amount": 1000, "comment": "wire"}),
                         200)["data"]
    has_fields(tx, TRANSACTION)
    assert (tx["type"], tx["amount"], tx["balance"], tx["comment"]) == ("deposit", 1000, 1000,
                                                                        "wire")
    api.post(path, {"type": "withdrawal", "amount": 250.5})
    api.post(path, {"type": "credit_in", "amount": 100})
    after = api.data(f"{M}/accounts/{account['id']}")
    assert (after["balance"], after["credit"], after["equity"]) == (749.5, 100, 849.5)
    deal = api.data(f"{M}/deals/{tx['deal_id']}")
    assert (deal["side"], deal["reason"], deal["profit"]) == (2, 13, 1000)


def test_it_refuses_a_withdrawal_beyond_free_margin(api):
    account = new_account(api)
    path = f"{M}/accounts/{account['id']}/money"
    api.post(path, {"type": "deposit", "amount": 100})
    errors = field_errors(api.post(path, {"type": "withdrawal", "amount": 100.01}))
    assert "free margin" in errors["amount"]
    errors = field_errors(api.post(path, {"type": "credit_out", "amount": 1}))
    assert "amount" in errors


def test_it_validates_money_bodies(api):
    path = M + "/accounts/1/money"
    errors = field_errors(api.post(path, {"type": "bonus", "amount": -5}))
    assert set(errors) == {"type", "amount"}
    assert set(field_errors(api.post(path, {}))) == {"type", "amount"}
    assert field_errors(api.post(path, {"type": "deposit", "amount": "5"})) == {
        "amount": "must be a number"}
    assert_envelope(api.post(M + "/accounts/999999/money", {"type": "deposit", "amount": 1}),
                    404)


def test_it_lists_the_transaction_history_with_a_time_range(api):
    account = new_account(api)
    path = f"{M}/accounts/{account['id']}/money"
    for amount in (10, 20, 30):
        api.post(path, {"type": "deposit", "amount": amount})
    history = f"{M}/accounts/{account['id']}/transactions/history"
    data = api.data(history, sort_by="amount", dir="DESC")
    assert [t["amount"] for t in data["records"]] == [30, 20, 10] and data["total"] == 3
    assert api.data(history, **{"from": "2000-01-01", "to": "2999-01-01"})["total"] == 3
    assert api.data(history, **{"from": "2999-01-01"})["total"] == 0
    assert "from" in field_errors(api.get(history, **{"from": "yesterday"}))
    assert_envelope(api.get(M + "/accounts/999999/transactions/history"), 404)


def test_it_keeps_seeded_balances_consistent_with_the_ledger(api):
    account = api.data(M + "/accounts/5")
    deals = api.records(M + "/deals", account_id=5)
    total = sum(d["profit"] + d["commission"] + d["swap"] for d in deals if d["side"] != 3)
    assert round(total, 2) == account["balance"]
