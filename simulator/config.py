"""Command-line options and the knobs tests and benchmarks turn."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

DEFAULT_USERS = "crm-api:crm-api-secret"


@dataclass
class Knobs:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    token_lifetime: int = 3600
    event_rate: float = 3.0  # simulated trader actions per simulated second
    market_paused: bool = False
    strict_paths: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, values: dict[str, Any]) -> dict[str, str]:
        """Apply the known knobs in `values`; returns per-field errors (nothing applied then)."""
        errors: dict[str, str] = {}
        parsed: dict[str, Any] = {}
        types = {f.name: f.type for f in fields(self)}
        for key, value in values.items():
            kind = types.get(key)
            if kind is None:
                errors[key] = "unknown knob"
            elif kind == "bool":
                if isinstance(value, bool):
                    parsed[key] = value
                else:
                    errors[key] = "must be a boolean"
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                errors[key] = "must be a non-negative number"
            elif kind == "int":
                parsed[key] = int(value)
            else:
                parsed[key] = float(value)
        if "error_rate" in parsed and parsed["error_rate"] > 1:
            errors["error_rate"] = "must be between 0 and 1"
        if "error_status" in parsed and not 400 <= parsed["error_status"] <= 599:
            errors["error_status"] = "must be an HTTP error status (400-599)"
        if "token_lifetime" in parsed and parsed["token_lifetime"] < 1:
            errors["token_lifetime"] = "must be at least 1 second"
        if not errors:
            for key, value in parsed.items():
                setattr(self, key, value)
        return errors


@dataclass
class Options:
    host: str
    port: int
    seed: int
    state: str | None
    control: bool
    users: dict[str, str]
    knobs: Knobs
    extra_deals: int = 0  # more historical deals (exports, benchmarks): seed._pad_deals


def parse_users(text: str) -> dict[str, str]:
    users: dict[str, str] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, password = item.partition(":")
        if not sep or not name or not password:
            raise ValueError(f"bad user entry {item!r}: expected user:password")
        users[name] = password
    if not users:
        raise ValueError("no users given")
    return users


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8100)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--state", help="JSON file to load state from and persist it to")
    p.add_argument("--control", action="store_true", help="enable the /_sim control API")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--error-status", type=int, default=500)
    p.add_argument("--token-lifetime", type=int, default=3600, help="seconds")
    p.add_argument("--event-rate", type=float, default=3.0,
                   help="simulated trader actions per simulated second")
    p.add_argument("--market-paused", action="store_true")
    p.add_argument("--strict-paths", action="store_true")
    p.add_argument("--extra-deals", type=int, default=0,
                   help="seed this many more historical deals (e.g. 200000 for exports)")
    p.add_argument("--users", default=None,
                   help="user:password,... (default $SIM_USERS or crm-api:crm-api-secret)")
    a = p.parse_args(argv)
    try:
        users = parse_users(a.users or os.environ.get("SIM_USERS") or DEFAULT_USERS)
    except ValueError as exc:
        p.error(str(exc))
    knobs = Knobs(latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, error_rate=a.error_rate,
                  error_status=a.error_status, token_lifetime=a.token_lifetime,
                  event_rate=a.event_rate, market_paused=a.market_paused,
                  strict_paths=a.strict_paths)
    errors = knobs.update(knobs.as_dict())
    if errors:
        p.error("; ".join(f"{k}: {v}" for k, v in errors.items()))
    if a.extra_deals < 0:
        p.error("--extra-deals must be 0 or more")
    return Options(a.host, a.port, a.seed, a.state, a.control, users, knobs, a.extra_deals)
