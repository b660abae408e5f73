"""The response envelope `{success, code, data, error, message}` and API errors."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

ERROR_LABELS = {
    400: "Invalid Input",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def error_label(status: int) -> str:
    if status >= 500:
        return "Internal Server Error"
    return ERROR_LABELS.get(status, "Error")


class ApiError(Exception):
    def __init__(self, status: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.data = data


def invalid(fields: dict[str, str], message: str = "the request has invalid fields") -> ApiError:
    return ApiError(400, message, {"fields": fields})


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, f"{what} #{ident} was not found")


class Result:
    """A handler's success: `data` with a status (200 unless created)."""

    __slots__ = ("data", "status")

    def __init__(self, data: Any, status: int = 200) -> None:
        self.data = data
        self.status = status


def body(data: Any, status: int = 200) -> dict[str, Any]:
    return {"success": True, "code": status, "data": data, "error": "", "message": ""}


def error_body(status: int, message: str, data: Any = None) -> dict[str, Any]:
    return {"success": False, "code": status, "data": data, "error": error_label(status),
            "message": message}


def respond(payload: dict[str, Any], status: int) -> web.Response:
    return web.Response(body=_dumps(payload).encode(), status=status,
                        content_type="application/json")


def ok(data: Any, status: int = 200) -> web.Response:
    return respond(body(data, status), status)


def fail(status: int, message: str, data: Any = None) -> web.Response:
    return respond(error_body(status, message, data), status)
