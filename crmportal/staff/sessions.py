"""The idle clock of a staff session (SESSION_IDLE_TIMEOUT), on top of the absolute lifetime
(SESSION_COOKIE_AGE). Pages and live sockets ask the same question of the same session key."""

from __future__ import annotations

import time

from django.conf import settings

LAST_SEEN = "staff_last_seen"  # session key: epoch seconds of the member's last page request
TOUCH_EVERY = 60  # seconds; the session is saved at most this often just to move the clock


def idle_expired(session, now: float | None = None) -> bool:
    """True when the member has made no request for longer than SESSION_IDLE_TIMEOUT."""
    seen = session.get(LAST_SEEN)
    if not isinstance(seen, (int, float)):
        return False  # not stamped yet: the next request stamps it
    now = time.time() if now is None else now
    return now - seen > settings.SESSION_IDLE_TIMEOUT


def touch(session, now: float | None = None) -> None:
    """Move the idle clock, writing the session only when it moved by TOUCH_EVERY or more."""
    now = time.time() if now is None else now
    seen = session.get(LAST_SEEN)
    if not isinstance(seen, (int, float)) or now - seen >= TOUCH_EVERY:
        session[LAST_SEEN] = int(now)


def start(session, now: float | None = None) -> None:
    """Sign-in: the idle clock starts now, whatever an earlier session of the member left."""
    session[LAST_SEEN] = int(time.time() if now is None else now)
