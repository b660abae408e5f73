"""Timestamps as OMTrader writes them, and parsing of `from` / `to` filters."""

from __future__ import annotations

import datetime as dt

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def rfc3339(ns: int) -> str:
    """RFC 3339 UTC with Go-style fractional seconds (trailing zeros dropped)."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(secs, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        return f"{base}.{frac:09d}".rstrip("0") + "Z"
    return base + "Z"


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch for a timestamp written by `rfc3339` (or any RFC 3339)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if "." in text:
        head, rest = text.split(".", 1)
        digits = ""
        for ch in rest:
            if not ch.isdigit():
                break
            digits += ch
        tail = rest[len(digits):]
        value = dt.datetime.fromisoformat(head + tail).timestamp()
        return value + (int(digits) / 10 ** len(digits) if digits else 0.0)
    return dt.datetime.fromisoformat(text).timestamp()


def parse_bound(text: str, end: bool = False) -> float:
    """A `from`/`to` query value: unix seconds, `YYYY-MM-DD` or RFC 3339. Raises ValueError.

    A bare date used as `to` covers that whole day.
    """
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
        return start + 86400 if end else start
    return parse_rfc3339(text)


def iso_date(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date().isoformat()
