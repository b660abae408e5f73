"""A request id for every request: kept in a context variable for logs and the audit log."""

from __future__ import annotations

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


def new_request_id(incoming: str = "") -> str:
    """Use the load balancer's id when it looks sane, else make one; make it current."""
    request_id = incoming if _SAFE_ID.match(incoming or "") else uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = new_request_id(request.headers.get("X-Request-ID", ""))
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
