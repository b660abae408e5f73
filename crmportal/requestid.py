"""A request id and the client address for every request, kept in context variables, so the
audit log and logs learn them without the request being passed down (actions take the acting
member, not the request)."""

from __future__ import annotations

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_client_address: contextvars.ContextVar[str] = contextvars.ContextVar(
    "client_address", default=""
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


def current_client_address() -> str:
    """The address of the client whose request is being served ("" outside a request)."""
    return _client_address.get()


def new_request_id(incoming: str = "") -> str:
    """Use the load balancer's id when it looks sane, else make one; make it current."""
    request_id = incoming if _SAFE_ID.match(incoming or "") else uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


class RequestIdMiddleware:
    """After TrustedProxyMiddleware, so REMOTE_ADDR is already the real client's address.
    Both values are reset when the response leaves: nothing recorded later (a test, a thread
    reused by the next request) inherits them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        id_token = _request_id.set("")
        address_token = _client_address.set((request.META.get("REMOTE_ADDR") or "")[:45])
        try:
            request.request_id = new_request_id(request.headers.get("X-Request-ID", ""))
            response = self.get_response(request)
        finally:
            _client_address.reset(address_token)
            _request_id.reset(id_token)
        response["X-Request-ID"] = request.request_id
        return response
