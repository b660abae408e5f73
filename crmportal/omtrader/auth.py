"""The manager login: one token for the whole process, shared with other processes via the cache.

- Basic login with the manager credentials; the bearer token is then reused by every call.
- Renewed shortly before it expires (no refresh endpoint is documented, so: a new login).
  One thread renews while the others keep using the still-valid token.
- Once it has expired (or was refused), callers wait for a single login: twenty threads
  arriving together cause one login, not twenty.
- Other processes pick the token up from the Django cache instead of logging in themselves.
  The cached entry is sealed with a key derived from SECRET_KEY (sealing.py): Redis alone
  does not yield the token.
- Neither the password nor the token is ever logged, put in a message or a repr; redact.py
  scrubs them (and session ids) from every log record, whichever library writes it.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crmportal.omtrader.cache import Cache
from crmportal.omtrader.config import Config
from crmportal.omtrader.entities import LoginSession
from crmportal.omtrader.errors import BadResponse, Unavailable
from crmportal.omtrader.paths import Paths
from crmportal.omtrader.redact import guard
from crmportal.omtrader.sealing import Sealer
from crmportal.omtrader.transport import Transport

log = logging.getLogger("crmportal.omtrader")

DEFAULT_LIFETIME = 3600.0
MAX_RENEW_MARGIN = 30.0


@dataclass(frozen=True, slots=True)
class _Held:
    session: LoginSession
    renew_at: float  # from here on one thread renews while the others use this token
    hard_at: float  # from here on nobody uses it

    @classmethod
    def of(cls, session: LoginSession, lifetime: float) -> _Held:
        expires = session.expires_at.timestamp()
        margin = min(MAX_RENEW_MARGIN, lifetime * 0.1)
        return cls(session, expires - margin, expires - margin / 4)

    @property
    def token(self) -> str:
        return self.session.access_token


class Auth:
    def __init__(self, config: Config, transport: Transport, paths: Paths, cache: Cache):
        self._config = config
        self._transport = transport
        self._paths = paths
        self._cache = cache
        self._sealer = Sealer(config.secret_key)
        basic = base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
        guard(config.password, basic, lasting=True)
        self._held: _Held | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Auth {self._config.base_url}>"

    def token(self) -> str:
        return self.session().access_token

    def session(self) -> LoginSession:
        """The shared login (logging in or renewing first when it is due)."""
        held = self._held
        now = time.time()
        if held and now < held.renew_at:
            return held.session
        if held and now < held.hard_at:
            if not self._lock.acquire(blocking=False):
                return held.session  # another thread is renewing it
        else:
            self._lock.acquire()
        try:
            return self._fresh().session
        finally:
            self._lock.release()

    def invalidate(self, token: str) -> None:
        """OMTrader refused this token: forget it here and in the cache (unless replaced)."""
        with self._lock:
            if self._held and self._held.token == token:
                self._held = None
            shared = self._sealer.open(self._cache.get("login"))
            if shared and shared.get("access_token") == token:
                self._cache.delete("login")

    def login(self) -> LoginSession:
        """A brand-new session (its own session_id), shared with nobody: for the WebSocket."""
        return self._login()[0]

    def _fresh(self) -> _Held:
        held, now = self._held, time.time()
        if held and now < held.renew_at:
            return held
        shared = self._shared()
        if shared and now < shared.renew_at and (not held or shared.token != held.token):
            guard(shared.token, shared.session.session_id)  # another process's login
            self._held = shared
            return shared
        try:
            session, lifetime = self._login()
        except Unavailable:
            if held and now < held.hard_at:
                log.warning("omtrader token renewal failed; the current token is still valid")
                return held
            raise
        self._held = _Held.of(session, lifetime)
        self._cache.set("login", self._sealer.seal(_to_cache(session, lifetime)),
                        session.expires_at.timestamp() - now)
        return self._held

    def _shared(self) -> _Held | None:
        raw = self._sealer.open(self._cache.get("login"))
        if raw is None:
            return None
        try:
            session = LoginSession(
                access_token=raw["access_token"],
                session_id=raw["session_id"],
                expires_at=datetime.fromtimestamp(raw["expires_at"], UTC),
                account_id=raw.get("account_id"),
            )
            return _Held.of(session, float(raw["lifetime"]))
        except (TypeError, KeyError, ValueError):
            return None

    def _login(self) -> tuple[LoginSession, float]:
        started = time.time()
        data = self._transport.request(
            "POST",
            self._paths.first("login"),
            basic=(self._config.username, self._config.password),
            params={"remember_me": "false"},
        )
        session, lifetime = _session(data, started)
        guard(session.access_token, session.session_id)
        log.info("omtrader login: new session, valid for %.0f s", lifetime)
        return session, lifetime


def _session(data: Any, started: float) -> tuple[LoginSession, float]:
    if not isinstance(data, dict):
        raise BadResponse("OMTrader login answered without a session object")
    token, session_id = data.get("access_token"), data.get("session_id")
    if not isinstance(token, str) or not token:
        raise BadResponse("OMTrader login answered without an access_token")
    lifetime = data.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float, Decimal)):
        lifetime = DEFAULT_LIFETIME
    elif lifetime <= 0:
        lifetime = DEFAULT_LIFETIME
    account_id = data.get("account_id")
    return (
        LoginSession(
            access_token=token,
            session_id=session_id if isinstance(session_id, str) else "",
            expires_at=datetime.fromtimestamp(started + float(lifetime), UTC),
            account_id=account_id if isinstance(account_id, int) else None,
        ),
        float(lifetime),
    )


def _to_cache(session: LoginSession, lifetime: float) -> dict[str, Any]:
    return {
        "access_token": session.access_token,
        "session_id": session.session_id,
        "expires_at": session.expires_at.timestamp(),
        "account_id": session.account_id,
        "lifetime": lifetime,
    }
