"""Integer enum codes from the wire, with human labels (enums.json: docs/omtrader-api.md §7)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_FILE = Path(__file__).with_name("enums.json")

# Labels that the mechanical "split and capitalise" would get wrong or make ugly.
_LABELS = {
    "accept": "Accepted",
    "reject": "Rejected",
    "loos": "Loss",
    "timeouted": "Timed out",
    "incompleted": "Incomplete",
    "suspend": "Suspended",
    "less_than_1_year": "Less than 1 year",
    "1_3_years": "1–3 years",
    "more_than_5_years": "More than 5 years",
    "phd_or_equivalent": "PhD or equivalent",
    "take_profit_stop_loss": "Take profit / stop loss",
    "trade_closed_quote_closed": "Trade closed, quote closed",
    "trade_closed_quote_open": "Trade closed, quote open",
    "trade_open_quote_closed": "Trade open, quote closed",
    "script_type": "Script",
    "mobile_type": "Mobile",
    "web_type": "Web",
    "api": "API",
    "sms": "SMS",
    "national_id": "National ID",
    "self_employed": "Self-employed",
    "driver_license": "Driver's license",
    "sdk": "SDK",
}
_WORDS = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|\d+")


@dataclass(frozen=True, slots=True)
class EnumValue:
    code: int
    label: str

    def __str__(self) -> str:
        return self.label


def humanize(name: str) -> str:
    """'MarginCallReached' -> 'Margin call reached', 'CFD_Leverage' -> 'CFD leverage'."""
    if name in _LABELS:
        return _LABELS[name]
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in _WORDS.findall(name)]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@cache
def table(kind: str) -> dict[int, str]:
    """Code -> label for one enum of enums.json, e.g. table("ModelClientType")."""
    raw = _load()[kind]
    return {int(code): humanize(name) for code, name in raw.items()}


def enum_value(kind: str, code: int) -> EnumValue:
    """Unknown codes keep their number rather than failing: the upstream may add members."""
    return EnumValue(code, table(kind).get(code, f"Unknown ({code})"))


def choices(kind: str) -> list[tuple[int, str]]:
    """For form fields: [(code, label), ...] in code order."""
    return sorted(table(kind).items())


@cache
def _load() -> dict[str, dict[str, str]]:
    return json.loads(_FILE.read_text())
