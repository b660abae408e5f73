"""Sign-in lockout per username and per client address, counted before the password is checked.

Every attempt first reserves a slot in two cache counters (the lower-cased username, the client
address); `cache.add` then `cache.incr` is atomic in the local-memory cache and in Redis, so N
parallel attempts get N different counts and only the first LOGIN_MAX_FAILURES ever reach the
password hasher. A check-then-record throttle (django-axes 8 included) reads the count before
the password and records the failure after it, so a parallel burst slips through.

A success clears the username's counter and gives back its slot in the address's counter: the
address counts failures only, so an office behind one address is not locked by its sign-ins.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

LOCKED_MESSAGE = (
    "Too many failed sign-ins for this name or from this address. "
    "Wait {minutes} minutes, then try again."
)


def locked_message() -> str:
    return LOCKED_MESSAGE.format(minutes=max(1, round(settings.LOGIN_LOCKOUT_SECONDS / 60)))


def _username_key(username: str) -> str:
    # Hashed: a typed name may hold anything, cache keys may not.
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    return f"signin-failures:user:{digest}"


def _address_key(address: str) -> str:
    return f"signin-failures:addr:{address}"


def _reserve(key: str) -> int:
    """Count one more attempt on key and return the new count (atomic, never lost)."""
    ttl = settings.LOGIN_LOCKOUT_SECONDS
    while True:
        cache.add(key, 0, ttl)
        try:
            count = cache.incr(key)
        except ValueError:
            continue  # the key expired between add and incr: start a new window
        if count == 1:
            # Redis' INCR recreates a key that expired just before it without a lifetime.
            cache.touch(key, ttl)
        return count


def reserve(username: str, address: str) -> bool:
    """Count this attempt before the password is checked; False: refuse it, locked out."""
    address_count = _reserve(_address_key(address))
    if address_count > settings.LOGIN_MAX_FAILURES_PER_ADDRESS:
        return False
    return _reserve(_username_key(username)) <= settings.LOGIN_MAX_FAILURES


def succeeded(username: str, address: str) -> None:
    """The password was right: forget the name's failures, hand back the address's slot."""
    cache.delete(_username_key(username))
    try:
        cache.decr(_address_key(address))
    except ValueError:
        pass  # the window ended meanwhile


def forget(username: str = "", address: str = "") -> None:
    """Clear the counters of a name and/or an address (tests, an administrator's unlock)."""
    if username:
        cache.delete(_username_key(username))
    if address:
        cache.delete(_address_key(address))
