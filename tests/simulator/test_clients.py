"""Clients CRUD, pagination and sorting, validation (docs/omtrader-api.md §5.2 #1-5, §6.1)."""

from __future__ import annotations

import datetime as dt
import re

from tests.simulator.helpers import CLIENT, RFC3339, M, assert_envelope, field_errors, has_fields

NEW_CLIENT = {"first_name": "Ada", "family_name": "Lovelace", "email": "ada@example.com",
              "type": 0, "status": 1, "kyc_status": None, "country": "GB"}


def test_it_lists_clients_with_page_limit_and_total(fresh, api):
    data = assert_envelope(api.get(M + "/clients", page=2, limit=5), 200)["data"]
    assert set(data) == {"records", "page", "limit", "total"}
    assert (data["page"], data["limit"], data["total"]) == (2, 5, 500)
    assert [c["id"] for c in data["records"]] == [6, 7, 8, 9, 10]


def test_it_defaults_to_page_1_of_20(api):
    data = api.data(M + "/clients")
    assert (data["page"], data["limit"], len(data["records"])) == (1, 20, 20)


def test_it_returns_every_record_for_page_minus_1(fresh, api):
    assert len(api.data(M + "/clients", page=-1)["records"]) == 500


def test_it_sorts_by_any_scalar_field_in_both_directions(api):
    rows = api.data(M + "/clients", sort_by="family_name", dir="desc", limit=50)["records"]
    names = [r["family_name"] for r in rows]
    assert names == sorted(names, reverse=True)
    rows = api.data(M + "/clients", sort_by="id", dir="DESC", limit=3)["records"]
    assert rows[0]["id"] > rows[1]["id"] > rows[2]["id"]


def test_it_refuses_bad_list_parameters(api):
    assert "sort_by" in field_errors(api.get(M + "/clients", sort_by="accounts"))
    assert "sort_by" in field_errors(api.get(M + "/clients", sort_by="nope"))
    assert "limit" in field_errors(api.get(M + "/clients", limit=1001))
    assert "limit" in field_errors(api.get(M + "/clients", limit=0))
    assert "page" in field_errors(api.get(M + "/clients", page="x"))
    assert "dir" in field_errors(api.get(M + "/clients", dir="UP"))


def test_it_returns_the_full_client_shape(api):
    client = api.data(M + "/clients/1")
    has_fields(client, CLIENT)
    assert re.match(RFC3339, client["created_at"])
    assert isinstance(client["accounts"], list)
    assert all(a["client_id"] == 1 for a in client["accounts"])


def test_it_seeds_statuses_kyc_states_and_document_expiries(fresh, api):
    clients = api.records(M + "/clients")
    assert len({c["status"] for c in clients}) == 14
    assert {c["kyc_status"] for c in clients} == {None, 0, 1}
    today = dt.date.today()
    expiries = [dt.date.fromisoformat(c["expiry_date"]) for c in clients]
    assert sum(e < today for e in expiries) >= 20
    assert sum(today <= e <= today + dt.timedelta(days=30) for e in expiries) >= 20


def test_it_answers_404_for_an_unknown_client(api):
    body = assert_envelope(api.get(M + "/clients/999999"), 404)
    assert body["error"] == "Not Found"


def test_it_creates_a_client(api):
    resp = api.post(M + "/clients", NEW_CLIENT)
    client = assert_envelope(resp, 201)["data"]
    has_fields(client, CLIENT)
    assert client["first_name"] == "Ada" and client["accounts"] == []
    assert api.data(f"{M}/clients/{client['id']}")["email"] == "ada@example.com"


def test_it_refuses_a_client_without_required_fields(api):
    errors = field_errors(api.post(M + "/clients", {"first_name": "Ada"}))
    assert set(errors) == {"family_name", "email"}


def test_it_refuses_wrong_types_and_unknown_codes(api):
    body = {**NEW_CLIENT, "status": "active", "kyc_status": 7, "net_worth": "lots",
            "birth_date": "31/12/1990", "email": "not-an-address", "forex_experience": True}
    errors = field_errors(api.post(M + "/clients", body))
    assert errors["status"] == "must be an integer"
    assert errors["kyc_status"].startswith("unknown code 7")
    assert errors["net_worth"] == "must be a number"
    assert "date" in errors["birth_date"]
    assert "e-mail" in errors["email"]
    assert errors["forex_experience"] == "must be an integer"


def test_it_refuses_a_body_that_is_not_an_object(api):
    assert "body" in field_errors(api.post(M + "/clients", [1, 2]))
    resp = api.call("POST", M + "/clients", data="{nope",
                    headers={"Content-Type": "application/json"})
    assert "body" in field_errors(resp)


def test_it_updates_only_the_given_fields(api):
    client = api.post(M + "/clients", NEW_CLIENT).json()["data"]
    resp = api.put(f"{M}/clients/{client['id']}", {"kyc_status": 0, "city": "London",
                                                    "id": 5, "created_at": "x"})
    updated = assert_envelope(resp, 200)["data"]
    assert (updated["id"], updated["kyc_status"], updated["city"]) == (client["id"], 0, "London")
    assert updated["first_name"] == "Ada"
    assert updated["created_at"] == client["created_at"]


def test_it_validates_updates(api):
    errors = field_errors(api.put(M + "/clients/1", {"type": 9, "first_name": 3}))
    assert set(errors) == {"type", "first_name"}
    assert_envelope(api.put(M + "/clients/999999", {"city": "X"}), 404)


def test_it_refuses_to_delete_a_client_with_accounts(api):
    client = next(c for c in api.data(M + "/clients", limit=50)["records"] if c["accounts"])
    body = assert_envelope(api.delete(f"{M}/clients/{client['id']}"), 409)
    assert body["error"] == "Conflict"


def test_it_deletes_a_client_without_accounts(api):
    client = api.post(M + "/clients", NEW_CLIENT).json()["data"]
    body = assert_envelope(api.delete(f"{M}/clients/{client['id']}"), 200)
    assert isinstance(body["data"], str)
    assert_envelope(api.get(f"{M}/clients/{client['id']}"), 404)
    assert_envelope(api.delete(f"{M}/clients/{client['id']}"), 404)
