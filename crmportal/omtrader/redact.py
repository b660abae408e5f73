"""No log record, from any logger at any level, carries an OMTrader secret.

The secrets reach code that logs: the socket URL carries the session id and the token in its
query (websockets logs the request line at DEBUG), and the session check puts the session id
in a REST path (urllib3 and our transport log it). Rather than chase each logger, the log
record factory scrubs every record as it is made: the secrets this process knows (the
password, every token and session id it obtained) and any `access_token=`, `session_id=`,
`refresh_token=` or `password=` query value become "[redacted]". Every handler, ours or one
added later, sees only scrubbed records.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_LENGTH = 6  # shorter strings are no secret, and scrubbing them would garble every line
REMEMBERED = 64  # tokens and session ids (with their URL forms); the oldest have long expired
QUERY = re.compile(r"\b(access_token|refresh_token|session_id|password)=[^&\s'\"]+", re.I)

_lock = threading.Lock()
_lasting: tuple[str, ...] = ()
_recent: tuple[str, ...] = ()
_known: re.Pattern[str] | None = None
_installed = False


def guard(*secrets: str, lasting: bool = False) -> None:
    """Scrub these from every log record from now on (`lasting`: never forget them)."""
    global _lasting, _recent, _known, _installed
    # As written, and as they appear in a URL's path or query once encoded.
    new = [form for s in secrets if isinstance(s, str) and len(s) >= MIN_LENGTH
           for form in (s, quote(s, safe=""), quote_plus(s))]
    with _lock:
        if lasting:
            _lasting = tuple(dict.fromkeys((*_lasting, *new)))
        else:
            _recent = tuple(dict.fromkeys((*_recent, *new)))[-REMEMBERED:]
        known = sorted({*_lasting, *_recent}, key=len, reverse=True)
        _known = re.compile("|".join(map(re.escape, known))) if known else None
        if not _installed:
            _install()
            _installed = True


def scrub(text: str) -> str:
    known = _known
    if known is not None:
        text = known.sub(MASK, text)
    return QUERY.sub(lambda match: f"{match.group(1)}={MASK}", text)


def _install() -> None:
    make = logging.getLogRecordFactory()

    def scrubbed_record(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _scrub_record(record)
        return record

    logging.setLogRecordFactory(scrubbed_record)


def _scrub_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed call; logging reports it with this text
        message = f"{record.msg} {record.args!r}"
        record.msg, record.args = scrub(message), ()
        return
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[0] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        clean = scrub(text)
        if clean != text:
            record.exc_text = clean
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
