"""Manager logins, bearer tokens that expire, and the sessions the WebSocket binds to."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Session:
    username: str
    account_id: int
    session_id: str
    access_token: str
    refresh_token: str
    expires_at: float
    socket: Any = field(default=None)  # the one open WebSocket, if any
    revoked: bool = False

    def valid(self) -> bool:
        return not self.revoked and time.time() < self.expires_at


class Auth:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users
        # Manager account ids start at 2, as in the reference's login example.
        self.account_ids = {name: 2 + i for i, name in enumerate(users)}
        self.by_token: dict[str, Session] = {}
        self.by_session: dict[str, Session] = {}

    def check_basic(self, header: str | None) -> str | None:
        """The username for a valid `Authorization: Basic` header, else None."""
        if not header or not header.startswith("Basic "):
            return None
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, _, password = raw.partition(":")
        expected = self.users.get(name)
        if expected is None or not secrets.compare_digest(expected, password):
            return None
        return name

    def login(self, username: str, lifetime: int) -> Session:
        self._forget_expired()
        session = Session(
            username=username, account_id=self.account_ids[username],
            session_id=str(uuid.uuid4()), access_token=secrets.token_urlsafe(32),
            refresh_token=secrets.token_urlsafe(32), expires_at=time.time() + lifetime,
        )
        self.by_token[session.access_token] = session
        self.by_session[session.session_id] = session
        return session

    def bearer(self, header: str | None) -> Session | None:
        if not header or not header.startswith("Bearer "):
            return None
        session = self.by_token.get(header[7:].strip())
        return session if session is not None and session.valid() else None

    def logout(self, session_id: str) -> Session | None:
        session = self.by_session.get(session_id)
        if session is not None:
            session.revoked = True
        return session

    def _forget_expired(self) -> None:
        if len(self.by_token) < 1000:
            return
        # Keep sessions with an open socket: the socket outlives its token.
        stale = [s for s in self.by_token.values() if not s.valid() and s.socket is None]
        for s in stale:
            self.by_token.pop(s.access_token, None)
            self.by_session.pop(s.session_id, None)
