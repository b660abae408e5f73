"""The sign-in lockout: counted per name and per address before the password is checked."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from crmportal.audit.models import AuditEntry
from crmportal.staff import lockout
from tests.support.portal import PortalProcess
from tests.support.staff import PASSWORD

LOCKED = b"Too many failed sign-ins for this name or from this address."
WRONG = b"Please enter a correct username and password"


@pytest.fixture(autouse=True)
def fresh_counters():
    yield
    for name in ("bo", "ghost", "user0", "user1", "user2", "user3"):
        lockout.forget(username=name)
    for n in range(10):
        lockout.forget(address=f"10.0.0.{n}")


def sign_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


def test_it_locks_a_name_out_whatever_address_the_attempts_come_from(client, backoffice):
    for n in range(5):
        assert WRONG in sign_in(client, "bo", "nope", address=f"10.0.0.{n}").content
    response = sign_in(client, "BO", "nope", address="10.0.0.9")
    assert response.status_code == 429 and LOCKED in response.content


def test_it_locks_an_address_out_whatever_names_it_tries(client, backoffice, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        assert WRONG in sign_in(client, f"user{n}", "nope").content
    response = sign_in(client, "bo", PASSWORD)
    assert response.status_code == 429 and LOCKED in response.content
    assert sign_in(client, "bo", PASSWORD, address="10.0.0.2").status_code == 302


def _without_tokens(content: bytes) -> bytes:
    return re.sub(rb"[A-Za-z0-9]{64}", b"", content)


def test_it_answers_a_known_and_an_unknown_name_alike(client, backoffice):
    answers = {}
    for name, address in (("bo", "10.0.0.1"), ("ghost", "10.0.0.2")):
        for _ in range(5):
            sign_in(client, name, "nope", address=address)
        answers[name] = sign_in(client, name, "nope", address=address)
    assert answers["bo"].status_code == answers["ghost"].status_code == 429
    assert _without_tokens(answers["bo"].content) == _without_tokens(answers["ghost"].content)


def test_it_refuses_even_the_right_password_without_checking_it(client, backoffice):
    for _ in range(5):
        sign_in(client, "bo", "nope")
    failures = AuditEntry.objects.filter(action="auth.login_failed").count()
    response = sign_in(client, "bo", PASSWORD)
    assert response.status_code == 429
    assert client.get("/").status_code == 302
    # Checking a password sends user_logged_in or user_login_failed: neither happened.
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == failures
    assert not AuditEntry.objects.filter(action="auth.login").exists()
    entry = AuditEntry.objects.get(action="auth.locked_out")
    assert entry.actor_username == "bo" and entry.outcome == "denied"
    assert entry.ip_address == "10.0.0.1" and PASSWORD not in str(entry.__dict__)


def test_it_forgets_a_names_failures_after_a_success(client, backoffice):
    for _ in range(4):
        sign_in(client, "bo", "nope")
    assert sign_in(client, "bo", PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(5):
        assert WRONG in sign_in(client, "bo", "nope").content
    assert sign_in(client, "bo", "nope").status_code == 429


def test_it_keeps_counting_the_address_after_a_success(client, backoffice, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    for n in range(3):
        sign_in(client, f"user{n}", "nope")
    assert sign_in(client, "bo", PASSWORD).status_code == 302
    client.post("/logout/")
    assert WRONG in sign_in(client, "user3", "nope").content
    assert sign_in(client, "bo", PASSWORD).status_code == 429


@pytest.fixture(scope="module")
def portal():
    process = PortalProcess(staff={"ada": ("administrator", [])})
    process.start()
    yield process
    process.stop()


def test_it_lets_only_five_of_a_parallel_burst_reach_the_password(portal):
    """20 wrong passwords at once against daphne with the real (slow) PBKDF2 hasher: with a
    check-then-record throttle all 20 pass the check while the first ones are still hashing."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=20))
    page = session.get(portal.url + "/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    start = threading.Barrier(20)
    answers: list[requests.Response] = []

    def attempt():
        start.wait()
        answers.append(session.post(
            portal.url + "/login/", timeout=60, allow_redirects=False,
            data={"username": "ada", "password": "wrong", "csrfmiddlewaretoken": token},
        ))

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    wrong = [a for a in answers if a.status_code == 200 and WRONG.decode() in a.text]
    locked = [a for a in answers if a.status_code == 429 and LOCKED.decode() in a.text]
    assert len(wrong) == 5 and len(locked) == 15, statuses
