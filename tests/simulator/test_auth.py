"""Login, bearer tokens that expire, and the envelope on 401."""

from __future__ import annotations

import requests

from tests.simulator.helpers import Api, M, assert_envelope, wait_for

LOGIN = "/api/v1/oauth2/login?remember_me=false"


def test_it_logs_in_with_basic_auth(sim):
    resp = requests.post(sim.url + LOGIN, auth=(sim.username, sim.password), timeout=5)
    data = assert_envelope(resp, 200)["data"]
    assert list(data) == ["account_id", "access_token", "refresh_token", "session_id",
                          "expires_in", "ip_address", "scope"]
    assert data["scope"] == "Manager"
    assert data["account_id"] == 2
    assert data["expires_in"] == 3600
    assert data["ip_address"] == "127.0.0.1"


def test_it_gives_every_login_a_new_session(sim):
    first, second = sim.login(), sim.login()
    assert first["session_id"] != second["session_id"]
    assert first["access_token"] != second["access_token"]


def test_it_refuses_a_wrong_password(sim):
    resp = requests.post(sim.url + LOGIN, auth=(sim.username, "nope"), timeout=5)
    assert assert_envelope(resp, 401)["error"] == "Unauthorized"


def test_it_refuses_a_login_without_credentials(sim):
    assert_envelope(requests.post(sim.url + LOGIN, timeout=5), 401)


def test_it_refuses_requests_without_a_token(sim):
    resp = requests.get(sim.url + M + "/clients", timeout=5)
    assert assert_envelope(resp, 401)["error"] == "Unauthorized"


def test_it_refuses_an_unknown_token(sim):
    resp = Api(sim.url, "not-a-token").get(M + "/groups")
    assert_envelope(resp, 401)


def test_it_expires_tokens_after_their_lifetime(fresh):
    fresh.control(token_lifetime=1)
    login = fresh.login()
    assert login["expires_in"] == 1
    api = Api(fresh.url, login["access_token"])
    assert api.get(M + "/groups").status_code == 200
    wait_for(lambda: api.get(M + "/groups").status_code == 401, timeout=5,
             what="the token to expire")
    assert assert_envelope(api.get(M + "/groups"), 401)["error"] == "Unauthorized"
