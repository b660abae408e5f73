"""The one error hierarchy of the service layer. Views catch these, never requests' own."""

from __future__ import annotations


class OMTraderError(Exception):
    """Anything that went wrong talking to OMTrader."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class Unavailable(OMTraderError):
    """Network error, timeout or 5xx: OMTrader cannot answer now; try again later."""


class BadResponse(Unavailable):
    """OMTrader answered something we cannot read (not JSON, a field of the wrong type)."""


class Unauthorized(OMTraderError):
    """The manager credentials were refused."""


class NotFound(OMTraderError):
    """The entity does not exist upstream."""


class Rejected(OMTraderError):
    """OMTrader refused a write; field_errors maps field names to messages."""

    def __init__(self, message: str, *, status: int | None = None, field_errors=None):
        super().__init__(message, status=status)
        self.field_errors: dict[str, str] = dict(field_errors or {})


class Forbidden(Unauthorized):
    """The manager account may not do this (HTTP 403): a permission or group-scope problem."""
