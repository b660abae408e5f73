"""No log record from any logger, at any level, carries the OMTrader password, a token or a
session id: every logger at DEBUG through a REST login, the session check and a real socket."""

from __future__ import annotations

import asyncio
import base64
import logging
import time

import pytest

from crmportal.omtrader.stream import EventStream

pytestmark = pytest.mark.timeout(60)


class Keep(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def every_record():
    """Every logger (and any made later) at DEBUG, propagating to one handler on the root."""
    root = logging.getLogger()
    loggers = [root, *(logger for logger in logging.root.manager.loggerDict.values()
                       if isinstance(logger, logging.Logger))]
    saved = [(logger, logger.level, logger.propagate, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
        logger.disabled = False
    keep = Keep()
    root.addHandler(keep)
    yield keep.records
    root.removeHandler(keep)
    for logger, level, propagate, disabled in saved:
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


class Sink:
    def __init__(self):
        self.up = False
        self.events = 0

    def stream_up(self, info) -> None:
        self.up = True

    def stream_event(self, event) -> None:
        self.events += 1

    def stream_down(self, reason: str) -> None:
        self.up = False


async def a_socket_for_a_while(omt, group_ids: list[int]) -> EventStream:
    sink = Sink()
    stream = EventStream(sink, lambda: group_ids, client=omt, heartbeat=0.2)
    task = asyncio.create_task(stream.run())
    deadline = time.monotonic() + 20
    while not (sink.up and sink.events and stream.counters.heartbeats):
        assert time.monotonic() < deadline, "the socket never came up with events"
        await asyncio.sleep(0.05)
    await stream.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return stream


def test_it_logs_no_password_token_or_session_id_at_debug(sim, omt, every_record):
    omt.list_clients(limit=2)
    group_ids = [group.id for group in omt.list_groups()][:3]
    stream = asyncio.run(a_socket_for_a_while(omt, group_ids))
    shared = omt.auth.token()
    secrets = {
        "password": sim.password,
        "basic": base64.b64encode(f"{sim.username}:{sim.password}".encode()).decode(),
        "token": shared,
        "socket token": stream.session.access_token,
        "socket session": stream.session.session_id,
    }
    assert stream.counters.connects == 1 and stream.counters.frames > 0
    seen = {record.name for record in every_record}
    assert {"websockets.client", "urllib3.connectionpool", "crmportal.omtrader"} <= seen, seen
    upgrade = [r.getMessage() for r in every_record
               if r.name == "websockets.client" and r.getMessage().startswith("> GET")]
    assert upgrade and "access_token=[redacted]" in upgrade[0]
    for record in every_record:
        text = "\n".join([record.getMessage(), repr(record.args), str(record.msg),
                          record.exc_text or "", record.stack_info or ""])
        for what, secret in secrets.items():
            assert secret not in text, f"{record.name} logged the {what}: {text[:300]}"


def test_it_scrubs_a_secret_in_its_url_encoded_form_too(every_record):
    from urllib.parse import quote

    from crmportal.omtrader.redact import guard

    secret = "tok+en/with=odd&chars-0123456789"
    guard(secret)
    logging.getLogger("urllib3.connectionpool").debug(
        '"%s %s HTTP/1.1" %s', "POST", f"/ws/v1/{quote(secret, safe='')}", 200)
    logging.getLogger("anything.at.all").warning("raw %s", secret)
    texts = [record.getMessage() for record in every_record]
    assert texts[-2:] == ['"POST /ws/v1/[redacted] HTTP/1.1" 200', "raw [redacted]"]
