"""HTTP to OMTrader: one pooled requests.Session per process, the envelope, the error mapping.

One Session is shared by every thread (daphne runs each sync view in a fresh thread, so a
thread-local session would reconnect on every page). Its pool holds `pool_size` keep-alive
connections and blocks when they are all busy instead of opening throw-away ones. Nothing
relies on cookies (they are refused), so sharing is safe. Every call has connect and read
timeouts; GETs are retried on connection errors and 500/502/503/504 with backoff and jitter
(a read is safe to repeat, whatever went wrong upstream), writes never are.

A failed call says what is known about it (errors.py): never sent (`Unavailable`), sent but
unanswered (`Timeout`), answered with a 5xx (`ServerError`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from crmportal.omtrader.config import Config
from crmportal.omtrader.enums import EnumValue
from crmportal.omtrader.errors import (
    BadResponse,
    Forbidden,
    NotFound,
    OMTraderError,
    Rejected,
    ServerError,
    Timeout,
    Unauthorized,
    Unavailable,
)
from crmportal.requestid import current_request_id

log = logging.getLogger("crmportal.omtrader")

# Clean names the portal uses -> the spellings OMTrader expects (and back, for field errors).
WIRE_NAMES = {
    "exit_loss": "exit_loos",
    "liquidation_status": "liqudation_status",
    "expiration_policy": "expiration_police",
    "tiers": "commission_tiers",
}
CLEAN_NAMES = {wire: clean for clean, wire in WIRE_NAMES.items()}


class ReadRetry(Retry):
    """urllib3 Retry that never repeats a write and never waits out a read timeout twice.

    Plain Retry still retries connection errors for any method; a write is not repeated
    here at all (the portal records its own outcome). A GET whose read timed out is not
    retried either: the upstream is slow rather than gone, and a retry would triple the wait.
    """

    def increment(self, method=None, url=None, response=None, error=None, *args, **kwargs):
        if isinstance(error, ReadTimeoutError):
            raise error
        if method is not None and method.upper() not in (self.allowed_methods or ()):
            return Retry.increment(self.new(total=0), method, url, response, error, *args, **kwargs)
        return super().increment(method, url, response, error, *args, **kwargs)


class Transport:
    def __init__(self, config: Config):
        self.base_url = config.base_url
        self.timeout = (config.connect_timeout, config.read_timeout)
        self.session = _session(config)

    def __repr__(self) -> str:
        return f"<Transport {self.base_url}>"

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        basic: tuple[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one call and return the envelope's `data`, or raise an OMTraderError."""
        headers = {"X-Request-ID": current_request_id()} if current_request_id() else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(to_wire(body)).encode()
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=_query(params),
                data=data,
                headers=headers,
                auth=basic,
                timeout=self.timeout,
                allow_redirects=True,
            )
        except requests.RequestException as error:
            failure = network_error(error, f"{method} {path}")
            self._log(method, path, failure.message.rsplit(": ", 1)[-1], started, logging.WARNING)
            raise failure from None
        level = logging.WARNING if response.status_code >= 500 else logging.DEBUG
        self._log(method, path, response.status_code, started, level, response)
        return envelope(response.status_code, response.content, f"{method} {path}")

    def close(self) -> None:
        self.session.close()

    @staticmethod
    def _log(method, path, status, started, level, response=None) -> None:
        retries = ""
        history = getattr(getattr(getattr(response, "raw", None), "retries", None), "history", ())
        if history:
            retries = f" after {len(history)} retries"
        log.log(
            level,
            "omtrader %s %s -> %s in %.1f ms%s request_id=%s",
            method,
            path,
            status,
            (time.monotonic() - started) * 1000,
            retries,
            current_request_id() or "-",
        )


def envelope(status: int, content: bytes, what: str) -> Any:
    """Check the {success, code, data, error, message} envelope; `success` even on a 2xx."""
    try:
        body = json.loads(content or b"null", parse_float=Decimal)
    except ValueError:
        if status >= 500 or status == 429:
            message = f"OMTrader answered {what} with HTTP {status}"
            raise ServerError(message, status=status) from None
        raise BadResponse(
            f"OMTrader answered {what} with something that is not JSON (HTTP {status})",
            status=status,
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("success"), bool):
        if status >= 500:
            raise ServerError(f"OMTrader answered {what} with HTTP {status}", status=status)
        raise BadResponse(
            f"OMTrader answered {what} without its response envelope (HTTP {status})",
            status=status,
        )
    if 200 <= status < 300 and body["success"]:
        return body.get("data")
    code = status
    if 200 <= status < 300:  # success=false inside a 2xx: trust the envelope's code
        code = body["code"] if isinstance(body.get("code"), int) and body["code"] >= 400 else 400
    raise error_for(code, body, what)


def error_for(status: int, body: Mapping[str, Any], what: str) -> OMTraderError:
    label = str(body.get("error") or "").strip()
    detail = str(body.get("message") or "").strip()
    text = ": ".join(t for t in (label, detail) if t) or f"HTTP {status}"
    message = f"OMTrader refused {what}: {text}"
    if status == 401:
        return Unauthorized(message, status=status)
    if status == 403:
        return Forbidden(message, status=status)
    if status == 404:
        return NotFound(message, status=status)
    if status == 429 or status >= 500:
        return ServerError(f"OMTrader failed {what}: {text}", status=status)
    return Rejected(detail or label or message, status=status, field_errors=_fields(body))


def _fields(body: Mapping[str, Any]) -> dict[str, str]:
    data = body.get("data")
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, dict):
        return {}
    return {_clean_name(str(k)): _message(v) for k, v in fields.items()}


def _clean_name(key: str) -> str:
    """'exit_loos' -> 'exit_loss', 'commission_tiers[0].value' -> 'tiers[0].value'."""
    match = re.match(r"([^\[.]*)(.*)", key)
    head, rest = match.group(1), match.group(2)
    return CLEAN_NAMES.get(head, head) + rest


def _message(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def to_wire(value: Any) -> Any:
    """Clean names and Python values -> what goes in a request body."""
    if isinstance(value, Mapping):
        return {WIRE_NAMES.get(k, k): to_wire(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, EnumValue):
        fields = value.__dataclass_fields__
        return to_wire({k: getattr(value, k) for k in fields if getattr(value, k) is not None})
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, EnumValue):
        return value.code
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return wire_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def wire_time(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _query(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    query = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            value = ",".join(str(to_wire(v)) for v in value)
        query[key] = to_wire(value)
    return query


def network_error(error: requests.RequestException, what: str) -> Unavailable:
    """Whether the request can have reached OMTrader decides the class: a connection that was
    never made means the call was not carried out; a timeout or a connection lost after
    sending leaves it unknown."""
    if isinstance(error, requests.ConnectTimeout) or _never_connected(error):
        return Unavailable(f"OMTrader did not answer {what}: could not connect")
    if isinstance(error, requests.Timeout):
        return Timeout(f"OMTrader did not answer {what}: timed out")
    if isinstance(error, requests.ConnectionError):
        return Timeout(f"OMTrader did not answer {what}: connection lost")
    return Unavailable(f"OMTrader did not answer {what}: {type(error).__name__}")


def _never_connected(error: requests.RequestException) -> bool:
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError (refused, DNS) too


def _session(config: Config) -> requests.Session:
    session = requests.Session()
    # requests reads the proxy variables (walking all of os.environ) and ~/.netrc on every
    # call: about half a millisecond each under the GIL. Read the environment once here.
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(config.base_url))
    session.verify = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                      or True)
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.headers.update({"Accept": "application/json", "User-Agent": "crmportal-omtrader/1"})
    retry = ReadRetry(
        total=config.retries,
        connect=config.retries,
        read=config.retries,
        status=config.retries,
        other=0,
        redirect=3,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=(500, 502, 503, 504),
        backoff_factor=config.backoff,
        backoff_jitter=config.backoff,
        backoff_max=2.0,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    adapter = HTTPAdapter(
        pool_connections=4, pool_maxsize=config.pool_size, pool_block=True, max_retries=retry
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
