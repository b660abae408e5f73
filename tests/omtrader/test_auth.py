"""The token lifecycle against the simulator's real logins and expiries."""

from __future__ import annotations

import base64
import logging
import threading
import time

import pytest

from crmportal.omtrader.client import OMTraderClient
from crmportal.omtrader.errors import Unauthorized
from crmportal.omtrader.sealing import Sealer

pytestmark = pytest.mark.timeout(60)


def logins(sim) -> int:
    return sim.counters()["logins"]


def run_together(count: int, call) -> list:
    """`count` threads released at once; returns their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results[i] = error

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_it_logs_in_once_and_reuses_the_token(sim, omt):
    before = logins(sim)
    for _ in range(20):
        omt.get_client(1)
    assert logins(sim) - before == 1


def test_it_shares_the_token_between_processes_through_the_cache(sim, omt):
    omt.get_client(1)
    before = logins(sim)
    other_process = OMTraderClient(omt.config)  # a second process with the same cache
    other_process.get_client(2)
    assert logins(sim) == before
    other_process.close()


def test_it_keeps_working_across_renewals_with_one_login_each(sim, point_at):
    sim.control(token_lifetime=2)
    omt = point_at(sim)
    before = logins(sim)
    calls, errors = 0, []
    deadline = time.monotonic() + 10

    def work() -> None:
        nonlocal calls
        while time.monotonic() < deadline:
            try:
                omt.get_account(1)
                calls += 1
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    made = logins(sim) - before
    assert errors == [] and calls > 100
    # Renewal starts at 90% of the 2 s lifetime: about one login per 1.8 s, never one per call.
    assert 5 <= made <= 8, made


def test_it_lets_twenty_threads_on_an_expired_token_cause_one_login(sim, point_at):
    sim.control(token_lifetime=2)
    omt = point_at(sim)
    omt.get_client(1)
    time.sleep(2.1)  # the token really expires (the only way to get an expired one)
    before = logins(sim)
    results = run_together(20, lambda: omt.get_client(1).id)
    assert results == [1] * 20
    assert logins(sim) - before == 1


def test_it_relogs_in_once_when_twenty_threads_get_a_401(sim, omt):
    revoked = sim.login()
    sim.session_logout(revoked["session_id"])
    # Another process left this token in the shared cache; OMTrader no longer accepts it.
    omt.cache.set("login", Sealer(omt.config.secret_key).seal({
        "access_token": revoked["access_token"], "session_id": revoked["session_id"],
        "account_id": 2, "expires_at": time.time() + 3000, "lifetime": 3600}), 3000)
    before, requests_before = logins(sim), sim.counters()["requests"]
    results = run_together(20, lambda: omt.get_client(3).id)
    assert results == [3] * 20
    assert logins(sim) - before == 1
    calls = sim.counters()["requests"]["GET /api/v1/manager/clients/{id}"]
    # Each thread retried at most once; threads that came late used the new token at once.
    assert 21 <= calls - requests_before["GET /api/v1/manager/clients/{id}"] <= 40


def test_it_raises_unauthorized_for_wrong_credentials_without_echoing_them(sim, point_at):
    omt = point_at(sim, password="wrong-password-123")
    with pytest.raises(Unauthorized) as caught:
        omt.list_clients()
    assert "wrong-password-123" not in str(caught.value)
    assert caught.value.status == 401


def test_it_gives_the_relay_its_own_login_session(sim, omt):
    omt.get_client(1)
    before = logins(sim)
    first, second = omt.new_login_session(), omt.new_login_session()
    assert logins(sim) - before == 2
    assert first.session_id != second.session_id and first.expires_at > first.expires_at.now(
        first.expires_at.tzinfo)
    url = omt.ws_connect_url(first)
    assert url.startswith(sim.ws_url + "/ws/v1?session_id=") and "access_token=" in url
    omt.check_ws_session(first)
    omt.get_client(1)  # the shared token was not replaced by the relay's logins
    assert logins(sim) - before == 2


def test_it_never_logs_or_shows_the_password_or_tokens(sim, point_at, caplog):
    caplog.set_level(logging.DEBUG)
    omt = point_at(sim)
    omt.list_clients(limit=2)
    token = omt.auth.token()
    relay = omt.new_login_session()
    with pytest.raises(Unauthorized):
        point_at(sim, password="not-the-password").get_client(1)
    secrets = [sim.password, "not-the-password", token, relay.access_token, relay.session_id,
               base64.b64encode(f"{sim.username}:{sim.password}".encode()).decode()]
    text = "\n".join(r.getMessage() + str(r.args) + str(r.exc_info) for r in caplog.records)
    assert "omtrader GET /api/v1/manager/clients -> 200" in text
    for secret in secrets:
        assert secret not in text
    shown = repr(omt) + repr(omt.config) + repr(omt.auth) + repr(omt.transport) + repr(relay)
    for secret in secrets:
        assert secret not in shown


def test_it_tells_its_own_account_id_from_the_login_it_holds(sim, omt):
    omt.get_client(1)
    before = logins(sim)
    assert omt.own_account_id() == sim.login()["account_id"]
    assert logins(sim) == before + 1  # the test's own sim.login(); the portal made none
