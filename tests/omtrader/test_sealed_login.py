"""The manager login shared through the cache is sealed with a key derived from SECRET_KEY."""

from __future__ import annotations

import base64
import dataclasses
import re

import pytest
from django.core.cache import caches

from crmportal.omtrader.client import OMTraderClient

pytestmark = pytest.mark.timeout(60)


def logins(sim) -> int:
    return sim.counters()["logins"]


def raw_entry(omt: OMTraderClient):
    return caches[omt.config.cache_alias].get(omt.cache.prefix + "login")


def decodings(value: str) -> list[bytes]:
    """The value and everything base64 in it decoded, once and twice."""
    found = [value.encode()]
    for chunk in re.findall(r"[A-Za-z0-9_\-+/=]{16,}", value):
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                once = decode(chunk + "=" * (-len(chunk) % 4))
            except ValueError:
                continue
            found.append(once)
            try:
                found.append(decode(once + b"=" * (-len(once) % 4)))
            except ValueError:
                pass
    return found


def test_it_keeps_neither_the_token_nor_the_session_readable_in_the_cache(sim, omt):
    omt.get_client(1)
    token = omt.auth.token()
    stored = raw_entry(omt)
    assert isinstance(stored, str) and stored
    session_id = omt.auth._held.session.session_id
    for text in decodings(stored):
        assert token.encode() not in text
        assert session_id.encode() not in text
    assert "access_token" not in stored


def test_it_lets_another_client_with_the_same_secret_key_reuse_the_login(sim, omt):
    omt.get_client(1)
    before = logins(sim)
    other = OMTraderClient(dataclasses.replace(omt.config))
    other.get_client(2)
    assert logins(sim) == before
    assert other.auth.token() == omt.auth.token()
    other.close()


def test_it_logs_in_anew_under_a_different_secret_key(sim, omt):
    omt.get_client(1)
    before = logins(sim)
    other = OMTraderClient(dataclasses.replace(omt.config, secret_key="another-deployment-key"))
    assert other.get_client(2).id == 2
    assert logins(sim) == before + 1
    assert other.auth.token() != omt.auth.token()
    other.close()


@pytest.mark.parametrize("entry", [
    "tampered",
    {"access_token": "plain-old-entry", "session_id": "s", "account_id": 2,
     "expires_at": 4102444800, "lifetime": 3600},
    "not a sealed value at all",
    b"\x00\x01",
], ids=["tampered", "old-plain-dict", "garbage-text", "garbage-bytes"])
def test_it_treats_an_entry_that_does_not_open_as_a_miss(sim, omt, entry):
    omt.get_client(1)
    if entry == "tampered":
        stored = raw_entry(omt)
        middle = len(stored) // 2
        entry = stored[:middle] + ("A" if stored[middle] != "A" else "B") + stored[middle + 1:]
    omt.cache.set("login", entry, 300)
    before = logins(sim)
    fresh = OMTraderClient(dataclasses.replace(omt.config))  # another process: nothing held
    assert fresh.get_client(2).id == 2
    assert logins(sim) == before + 1
    fresh.close()
