"""Wire JSON -> entities: type checks, clean names, Decimal digits, aware datetimes.

An entity is a frozen dataclass; each field's annotation picks its parser and its metadata
says the rest: "wire" (the names it may arrive under), "enum" (the enums.json table),
"nested" (the entity class of a list), "digits" (the field, or a number, giving decimals).
Unknown wire fields are ignored, missing or null ones take the field default, and a value of
the wrong type raises BadResponse naming the entity and field (never the value: it may be
personal data).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from crmportal.omtrader.enums import enum_value
from crmportal.omtrader.errors import BadResponse


class WrongType(Exception):
    """A value does not fit its field; turned into BadResponse with the field's path."""

    def __init__(self, expected: str, value: Any = None, path: str = "", missing: bool = False):
        super().__init__(expected)
        self.expected = expected
        self.got = type(value).__name__ if value is not None else "null"
        self.path = path
        self.missing = missing


def parse_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # S types some counters as Integer and C as number: 5.0 is still 5.
    if isinstance(value, (Decimal, float)) and value == int(value):
        return int(value)
    raise WrongType("a whole number", value)


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise WrongType("a number", value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    raise WrongType("a number", value)


def parse_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise WrongType("a string", value)


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise WrongType("true or false", value)


_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d\d:?\d\d)?$"
)


def parse_datetime(value: Any) -> datetime | None:
    """RFC 3339 with 0-9 fraction digits (nanoseconds truncated), or unix seconds; aware, UTC."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise WrongType("a timestamp", value)
    if not value.strip():
        return None
    match = _TIMESTAMP.match(value.strip())
    if not match:
        raise WrongType("an RFC 3339 timestamp", value)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if year == "0001":  # Go's zero time: "never set"
        return None
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        stamp = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            micro, tzinfo=UTC,
        )
    except ValueError:
        raise WrongType("a valid timestamp", value) from None
    return stamp - _offset(zone)


def _offset(zone: str | None) -> timedelta:
    if not zone or zone in "Zz":
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def parse_date(value: Any) -> date | None:
    stamp = parse_datetime(value)
    return stamp.date() if stamp else None


def parse_codes(value: Any) -> tuple[int, ...]:
    """Symbol.orders / Symbol.expiration: "0,1,2" (or a JSON list) -> (0, 1, 2)."""
    if isinstance(value, list):
        return tuple(parse_int(v) for v in value)
    if not isinstance(value, str):
        raise WrongType("a comma-separated list of codes", value)
    try:
        return tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise WrongType("a comma-separated list of codes", value) from None


_SCALARS: dict[str, Callable[[Any], Any]] = {
    "int": parse_int,
    "str": parse_str,
    "bool": parse_bool,
    "Decimal": parse_decimal,
    "datetime": parse_datetime,
    "date": parse_date,
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str
    wire: tuple[str, ...]
    parse: Callable[[Any, str], Any]
    required: bool
    default: Any
    digits: str | int | None


def build(cls: type, data: Any, path: str = "", only: frozenset[str] | None = None) -> Any:
    """One entity from its wire object. Raises BadResponse naming entity and field. `only`:
    the fields the caller reads; the others keep their defaults unread (a list page shows a
    third of a position's fields, and reading them is most of its parsing)."""
    try:
        return _build(cls, data, path or cls.__name__, only)
    except WrongType as error:
        if error.missing:
            raise BadResponse(f"OMTrader sent {error.path} without a value") from None
        raise BadResponse(
            f"OMTrader sent an unexpected {error.path}: expected {error.expected}, got {error.got}"
        ) from None


def build_list(cls: type, records: Any, path: str = "",
               only: frozenset[str] | None = None) -> list:
    path = path or cls.__name__
    if not isinstance(records, list):
        raise BadResponse(f"OMTrader sent {path} records that are not a list")
    return [build(cls, item, f"{path}[{i}]", only) for i, item in enumerate(records)]


def _build(cls: type, data: Any, path: str, only: frozenset[str] | None = None) -> Any:
    if not isinstance(data, dict):
        raise WrongType("an object", data, path)
    values: dict[str, Any] = {}
    specs = _fields(cls) if only is None else _fields_only(cls, only)
    for spec in specs:
        # The first wire name with a value; most fields have one name (no generator per field:
        # building the records of a page was most of a client 360 page's upstream CPU).
        wire = spec.wire
        raw = data.get(wire[0])
        if raw is None and len(wire) > 1:
            raw = next((data[w] for w in wire[1:] if data.get(w) is not None), None)
        if raw is None:
            if spec.required:
                raise WrongType("a value", None, f"{path}.{spec.name}", missing=True)
            values[spec.name] = spec.default
            continue
        try:
            values[spec.name] = spec.parse(raw, f"{path}.{spec.name}")
        except WrongType as error:
            error.path = error.path or f"{path}.{spec.name}"
            raise
    for spec in _quantized(cls) if only is None else _quantized_only(cls, only):
        if values[spec.name] is not None:
            values[spec.name] = quantize(values[spec.name], _digits(spec.digits, values))
    return cls(**values)


def quantize(value: Decimal, digits: int | None) -> Decimal:
    if digits is None or not 0 <= digits <= 12:
        return value
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _digits(source: str | int, values: dict[str, Any]) -> int | None:
    return source if isinstance(source, int) else values.get(source)


@cache
def _fields(cls: type) -> tuple[_Field, ...]:
    return tuple(_spec(cls, f) for f in dataclasses.fields(cls))


@cache
def _quantized(cls: type) -> tuple[_Field, ...]:
    """The fields rounded to their record's digits."""
    return tuple(spec for spec in _fields(cls) if spec.digits is not None)


@cache
def _fields_only(cls: type, only: frozenset[str]) -> tuple[_Field, ...]:
    """The fields `only` names, the required ones and the digits those named are rounded to."""
    digits = {spec.digits for spec in _fields(cls)
              if spec.name in only and isinstance(spec.digits, str)}
    return tuple(spec for spec in _fields(cls)
                 if spec.name in only or spec.required or spec.name in digits)


@cache
def _quantized_only(cls: type, only: frozenset[str]) -> tuple[_Field, ...]:
    return tuple(spec for spec in _fields_only(cls, only) if spec.digits is not None)


def _spec(cls: type, field: dataclasses.Field) -> _Field:
    meta = field.metadata
    required = (
        field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    )
    default = None if required else field.default
    if default is dataclasses.MISSING:
        default = field.default_factory()
    return _Field(
        name=field.name,
        wire=tuple(meta.get("wire", ())) or (field.name,),
        parse=_parser(cls, field),
        required=required,
        default=default,
        digits=meta.get("digits"),
    )


def _parser(cls: type, field: dataclasses.Field) -> Callable[[Any, str], Any]:
    meta = field.metadata
    if "parse" in meta:
        custom = meta["parse"]
        return lambda raw, path: custom(raw)
    if "enum" in meta:
        kind = meta["enum"]
        return lambda raw, path: enum_value(kind, parse_int(raw))
    if "one" in meta:
        module = sys.modules[cls.__module__]
        name = meta["one"]
        return lambda raw, path: _build(getattr(module, name), raw, path)
    if "nested" in meta:
        module = sys.modules[cls.__module__]
        name = meta["nested"]

        def nested(raw: Any, path: str) -> tuple:
            if not isinstance(raw, list):
                raise WrongType("a list", raw, path)
            inner = getattr(module, name)
            return tuple(_build(inner, item, f"{path}[{i}]") for i, item in enumerate(raw))

        return nested
    base = str(field.type).replace(" | None", "").strip()
    scalar = _SCALARS[base]
    return lambda raw, path: scalar(raw)
