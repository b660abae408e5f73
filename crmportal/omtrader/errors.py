"""The one error hierarchy of the service layer. Views catch these, never requests' own.

What a failed write means for the data is decided here, once: `maybe_applied` is True only
when the request may have reached OMTrader and been carried out (a timeout, a 5xx, an answer
that cannot be read), so only then may a page say "may or may not have been saved".
"""

from __future__ import annotations


class OMTraderError(Exception):
    """Anything that went wrong talking to OMTrader."""

    maybe_applied = False  # could a write that raised this have been carried out anyway?

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class Unavailable(OMTraderError):
    """OMTrader cannot answer now; try again later. Raised as itself, the request never
    reached OMTrader (connection refused or not made in time): a write was not applied."""


class Timeout(Unavailable):
    """The request was sent but no answer came (read timeout, connection dropped after
    sending): a write may or may not have been applied."""

    maybe_applied = True


class ServerError(Unavailable):
    """OMTrader answered with a 5xx (or 429, too many requests). A 5xx may come after the
    work was done; a 429 means it was not started."""

    @property
    def maybe_applied(self) -> bool:  # type: ignore[override]
        return self.status != 429


class BadResponse(Unavailable):
    """OMTrader answered something we cannot read (not JSON, a field of the wrong type)."""

    maybe_applied = True


class Unauthorized(OMTraderError):
    """The manager credentials (or the token) were refused (HTTP 401)."""


class Forbidden(OMTraderError):
    """OMTrader refused the portal's manager account this call (HTTP 403): a permission or
    group-scope problem of that account, not of the credentials; a new login will not help."""


class NotFound(OMTraderError):
    """The entity does not exist upstream."""


class Rejected(OMTraderError):
    """OMTrader refused a write; field_errors maps field names to messages."""

    def __init__(self, message: str, *, status: int | None = None, field_errors=None):
        super().__init__(message, status=status)
        self.field_errors: dict[str, str] = dict(field_errors or {})
