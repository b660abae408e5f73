"""Cache entries only this deployment can read: Fernet, keyed from SECRET_KEY.

The shared cache (Redis in the scale-out shape) holds the manager login's bearer token, so
anyone who can read Redis could act as the CRM API account. Sealed, the entry is useless
without SECRET_KEY. An entry that does not open (another key, tampered with, an older plain
entry) is simply absent: the caller logs in again.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Fixed labels: the derived key is for this one purpose, never SECRET_KEY's other uses.
SALT = b"crmportal.omtrader.sealing"
INFO = b"omtrader login cache v1"


class Sealer:
    def __init__(self, secret_key: str):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=INFO).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def __repr__(self) -> str:
        return "<Sealer>"

    def seal(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value).encode()).decode("ascii")

    def open(self, sealed: Any) -> dict[str, Any] | None:
        """The sealed dict, or None for anything that is not one sealed with this key."""
        if not isinstance(sealed, (str, bytes)):
            return None
        try:
            value = json.loads(self._fernet.decrypt(sealed))
        except (InvalidToken, ValueError):
            return None
        return value if isinstance(value, dict) else None
