"""The OMTrader event stream (docs/omtrader-api.md §8): one upstream WebSocket, typed events out.

    stream = EventStream(sink, group_ids=lambda: [4, 5, 6])
    await stream.run()          # until cancelled; reconnects on its own

Connect sequence (§8.1): a login of its own (`new_login_session`, in a thread), the session
check `POST /ws/v1/{session_id}` through the REST transport (in a thread), then the socket with
session_id and access_token in the query, `subscribe_group` for each group, and the heartbeat:
the text "9" every `heartbeat` seconds, answered by "10" (no answer within `heartbeat_timeout`
means the socket is dead). On any loss it reconnects with exponential backoff and full jitter.
The session is reused while its token is valid; an expired one, a 401, "session is already
used" or a `session_logout` for our session mean a new login.

Frames (§8.2): JSON `{"type", "data"}` events become OrderEvent, PositionEvent, DealEvent,
AccountSummaryEvent, Notice or SessionLogout; binary UTF-8 CSV becomes Tick
(`symbolId,bid,ask,last,volume,high,low`) or ProfitUpdate (`s,position_id,profit,total_profit`).
A frame that is not JSON, has an unknown type or a payload that does not parse is logged
(rate-limited) and skipped; it never ends the stream.

The sink is called synchronously from the reader: `stream_up(info)` once the socket is open and
subscribed, `stream_event(event)` per event, `stream_down(reason)` when it is lost. The URL
carries the token and is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from crmportal.omtrader.entities import AccountSummary, Deal, LoginSession, Order, Position
from crmportal.omtrader.errors import OMTraderError, Rejected, Unauthorized

log = logging.getLogger("crmportal.omtrader.stream")

HEARTBEAT = "9"
HEARTBEAT_REPLY = "10"


# -- typed events ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderEvent:
    action: str  # place, update, cancel, expired, rejected, requote
    order: Order


@dataclass(frozen=True, slots=True)
class PositionEvent:
    action: str  # open, update, close
    position: Position


@dataclass(frozen=True, slots=True)
class DealEvent:
    action: str  # create, update
    deal: Deal


class AccountSummaryEvent:
    """`account_summary`: the ids are checked at once, the money fields parsed when first read.

    OMTrader sends one per account per market step; a board shows them about once a second,
    so most are superseded unread, and parsing them all would sit on the reader's hot path.
    `summary` raises BadFrame if the payload does not parse (the caller logs and skips it).
    """

    __slots__ = ("account_id", "group_id", "client_id", "_data", "_summary")

    def __init__(self, data: Any = None, summary: AccountSummary | None = None):
        if summary is not None:
            data = None
            account_id, group_id, client_id = summary.id, summary.group_id, summary.client_id
        else:
            if not isinstance(data, dict) or not _is_int(data.get("id")):
                raise BadFrame("an account_summary without a numeric id")
            account_id, group_id, client_id = data["id"], data.get("group_id"), data.get(
                "client_id")
            if not (group_id is None or _is_int(group_id)) or not (
                    client_id is None or _is_int(client_id)):
                raise BadFrame("an account_summary whose group_id or client_id is not a number")
        self.account_id: int = account_id
        self.group_id: int | None = group_id
        self.client_id: int | None = client_id
        self._data = data
        self._summary = summary

    @classmethod
    def of(cls, summary: AccountSummary) -> AccountSummaryEvent:
        return cls(summary=summary)

    @property
    def summary(self) -> AccountSummary:
        if self._summary is None:
            self._summary = _entity(AccountSummary, self._data, "account_summary")
            self._data = None
        return self._summary

    def __repr__(self) -> str:
        return f"<AccountSummaryEvent account {self.account_id}>"


@dataclass(frozen=True, slots=True)
class Tick:
    symbol_id: int
    bid: Decimal
    ask: Decimal
    last: Decimal
    volume: Decimal
    high: Decimal
    low: Decimal


@dataclass(frozen=True, slots=True)
class ProfitUpdate:
    position_id: int
    profit: Decimal
    total_profit: Decimal


@dataclass(frozen=True, slots=True)
class Notice:
    level: str  # info or error
    message: str
    account_id: int | None = None
    group_id: int | None = None


@dataclass(frozen=True, slots=True)
class SessionLogout:
    session_id: str


Event = (
    OrderEvent | PositionEvent | DealEvent | AccountSummaryEvent | Tick | ProfitUpdate | Notice
    | SessionLogout
)

# wire type -> (event class, action, entity class)
_ENTITY_EVENTS: dict[str, tuple[type, str, type]] = {
    "orders_place": (OrderEvent, "place", Order),
    "orders_update": (OrderEvent, "update", Order),
    "orders_cancel": (OrderEvent, "cancel", Order),
    "orders_expired": (OrderEvent, "expired", Order),
    "orders_rejected": (OrderEvent, "rejected", Order),
    "dealing_order_requote": (OrderEvent, "requote", Order),
    "positions_open": (PositionEvent, "open", Position),
    "positions_update": (PositionEvent, "update", Position),
    "positions_close": (PositionEvent, "close", Position),
    "deals_create": (DealEvent, "create", Deal),
    "deals_update": (DealEvent, "update", Deal),
}
# Known, and of no use to the portal: skipped quietly.
_IGNORED = frozenset({"pong", "journal_create", "report_create"})


class BadFrame(ValueError):
    """A frame the portal cannot use; the message says why (never the frame's content)."""


def parse_frame(frame: str | bytes) -> list[Event]:
    """One upstream frame -> its events (a binary frame may hold several CSV lines)."""
    if isinstance(frame, bytes):
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError:
            raise BadFrame("a binary frame that is not UTF-8") from None
        return [_parse_csv(line) for line in text.splitlines() if line.strip()]
    if frame == HEARTBEAT_REPLY:
        return []
    try:
        message = json.loads(frame, parse_float=Decimal)
    except ValueError:
        raise BadFrame("a text frame that is not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise BadFrame("a JSON frame without a string 'type'")
    return _parse_event(message["type"], message.get("data"))


def _parse_event(kind: str, data: Any) -> list[Event]:
    if kind in _ENTITY_EVENTS:
        event_class, action, entity = _ENTITY_EVENTS[kind]
        return [event_class(action, _entity(entity, data, kind))]
    if kind == "account_summary":
        return [AccountSummaryEvent(data)]
    if kind in ("info", "error"):
        data = data if isinstance(data, dict) else {"message": data}
        return [Notice(kind, str(data.get("message") or ""), _int_or_none(data.get("account_id")),
                       _int_or_none(data.get("group_id")))]
    if kind == "session_logout":
        session_id = data.get("session_id") if isinstance(data, dict) else data
        if not isinstance(session_id, str):
            raise BadFrame("a session_logout without a session_id")
        return [SessionLogout(session_id)]
    if kind in _IGNORED:
        return []
    raise BadFrame(f"an event of unknown type {kind[:40]!r}")


def _entity(cls: type, data: Any, kind: str) -> Any:
    try:
        return cls.from_wire(data)
    except OMTraderError as error:
        raise BadFrame(f"a {kind} event whose payload does not parse ({error.message})") from None


def _parse_csv(line: str) -> Tick | ProfitUpdate:
    parts = line.strip().split(",")
    try:
        if parts[0] == "s":
            if len(parts) != 4:
                raise BadFrame("a profit update without 4 fields")
            return ProfitUpdate(int(parts[1]), _number(parts[2]), _number(parts[3]))
        if len(parts) != 7:
            raise BadFrame("a binary frame that is neither a tick nor a profit update")
        return Tick(int(parts[0]), *(_number(p) for p in parts[1:]))
    except ValueError:
        raise BadFrame("a binary frame with a field that is not a number") from None


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_or_none(value: Any) -> int | None:
    return value if _is_int(value) else None


# -- the connection -------------------------------------------------------------------------


class StreamSink(Protocol):
    def stream_up(self, info: StreamInfo) -> None: ...

    def stream_event(self, event: Event) -> None: ...

    def stream_down(self, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class StreamInfo:
    connected_at: datetime
    group_ids: tuple[int, ...]
    attempt: int  # how many failed attempts came before this connection
    renewed: bool  # a new login was needed for it


class StreamLost(Exception):
    """The socket is gone or unusable; `renew` says whether a new login is needed first."""

    def __init__(self, reason: str, renew: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.renew = renew


@dataclass
class StreamCounters:
    connects: int = 0
    logins: int = 0
    frames: int = 0
    events: int = 0
    bad_frames: int = 0
    heartbeats: int = 0


class EventStream:
    def __init__(
        self,
        sink: StreamSink,
        group_ids: Callable[[], Iterable[int]],
        *,
        client: Any = None,
        heartbeat: float = 30.0,
        heartbeat_timeout: float = 10.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        open_timeout: float = 10.0,
    ):
        self.sink = sink
        self.group_ids = group_ids
        self._client = client
        self.heartbeat = heartbeat
        self.heartbeat_timeout = heartbeat_timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.open_timeout = open_timeout
        self.counters = StreamCounters()
        self.session: LoginSession | None = None
        self.connected = False
        self._socket: ClientConnection | None = None
        self._last_reply = 0.0
        self._bad_logged_at = 0.0
        self._bad_quiet = 0
        self._dead = ""

    @property
    def client(self) -> Any:
        if self._client is None:
            from crmportal.omtrader.client import get_omtrader

            self._client = get_omtrader()
        return self._client

    async def run(self) -> None:
        """Keep a socket up until cancelled."""
        attempt, renew = 0, False
        while True:
            fresh = False
            try:
                fresh = await self._session_for(renew)
                renew = False
                group_ids = tuple(await asyncio.to_thread(lambda: list(self.group_ids())))
                async with self._connect() as socket:
                    self._socket = socket
                    await self._subscribe(socket, group_ids)
                    self.connected = True
                    self.counters.connects += 1
                    self.sink.stream_up(StreamInfo(datetime.now(UTC), group_ids, attempt, fresh))
                    attempt = 0
                    await self._read(socket)
            except StreamLost as lost:
                self._lost(lost.reason)
                renew = lost.renew
                if renew and not fresh:
                    continue  # a new login straight away; if that is refused too, back off
            except (OMTraderError, OSError, InvalidHandshake, TimeoutError) as error:
                self._lost(_describe(error))
            finally:
                self._socket = None
            delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
            attempt += 1
            log.info("omtrader stream: reconnecting in %.1f s (attempt %d)", delay, attempt)
            await asyncio.sleep(delay)

    async def close(self) -> None:
        socket = self._socket
        if socket is not None:
            await socket.close()

    def _lost(self, reason: str) -> None:
        what = "lost" if self.connected else "could not connect"
        log.warning("omtrader stream %s: %s", what, reason)
        self.connected = False
        self.sink.stream_down(reason)

    async def _session_for(self, renew: bool) -> bool:
        """A session whose token is valid and whose check passes; True if it is a new login."""
        session, fresh = self.session, False
        if renew or session is None or session.expires_at <= datetime.now(UTC):
            session = await asyncio.to_thread(self.client.new_login_session)
            self.counters.logins += 1
            self.session, fresh = session, True
        try:
            await asyncio.to_thread(self.client.check_ws_session, session)
        except (Unauthorized, Rejected) as error:
            # Expired or unknown (401), or "session is already used" (400): a new login.
            self.session = None
            if fresh:
                raise StreamLost(f"session check refused a new login: {error.message}") from None
            raise StreamLost(f"session check refused: {error.message}", renew=True) from None
        return fresh

    def _connect(self):
        url = self.client.ws_connect_url(self.session)
        return _Connection(url, self.open_timeout)

    async def _subscribe(self, socket: ClientConnection, group_ids: tuple[int, ...]) -> None:
        for group_id in group_ids:
            await socket.send(json.dumps({"type": "subscribe_group", "data": int(group_id)}))

    async def _read(self, socket: ClientConnection) -> None:
        self._last_reply = time.monotonic()
        self._dead = ""
        beat = asyncio.create_task(self._beat(socket))
        try:
            async for frame in socket:
                self.counters.frames += 1
                if frame == HEARTBEAT_REPLY:
                    self._last_reply = time.monotonic()
                    continue
                try:
                    events = parse_frame(frame)
                except BadFrame as bad:
                    self._bad(str(bad))
                    continue
                for event in events:
                    if isinstance(event, SessionLogout) and self.session and (
                        event.session_id == self.session.session_id
                    ):
                        self.session = None
                        raise StreamLost("the session was logged out upstream", renew=True)
                    self.counters.events += 1
                    self.sink.stream_event(event)
        except ConnectionClosed as closed:
            raise StreamLost(self._dead or f"socket closed ({_close_code(closed)})") from None
        finally:
            beat.cancel()
        raise StreamLost(self._dead or f"socket closed (code {socket.close_code})")

    async def _beat(self, socket: ClientConnection) -> None:
        """Send "9" every `heartbeat` s; close the socket when "10" stops coming back."""
        while True:
            await asyncio.sleep(self.heartbeat)
            sent = time.monotonic()
            await socket.send(HEARTBEAT)
            self.counters.heartbeats += 1
            await asyncio.sleep(self.heartbeat_timeout)
            if self._last_reply < sent:
                self._dead = f"no heartbeat reply in {self.heartbeat_timeout:.0f} s"
                await socket.close(code=1001, reason="heartbeat timeout")
                return

    def _bad(self, why: str) -> None:
        self.counters.bad_frames += 1
        now = time.monotonic()
        if now - self._bad_logged_at >= 10.0:
            more = f" ({self._bad_quiet} more since the last report)" if self._bad_quiet else ""
            log.warning("omtrader stream: skipped %s%s", why, more)
            self._bad_logged_at, self._bad_quiet = now, 0
        else:
            self._bad_quiet += 1


class _Connection:
    """`async with`: the socket, with a refused upgrade (401) turned into StreamLost(renew)."""

    def __init__(self, url: str, open_timeout: float):
        self._connect = connect(
            url, proxy=None, open_timeout=open_timeout, ping_interval=None, close_timeout=2,
            max_size=8 * 1024 * 1024, max_queue=4096, compression=None,
        )

    async def __aenter__(self) -> ClientConnection:
        try:
            return await self._connect.__aenter__()
        except InvalidStatus as refused:
            status = refused.response.status_code
            raise StreamLost(f"upgrade refused with HTTP {status}",
                             renew=status in (400, 401)) from None
        except InvalidHandshake as error:
            raise StreamLost(f"upgrade failed ({type(error).__name__})") from None

    async def __aexit__(self, *exc: object) -> None:
        await self._connect.__aexit__(*exc)


def _close_code(closed: ConnectionClosed) -> str:
    frame = closed.rcvd or closed.sent
    return f"code {frame.code}" if frame else "no close frame"


def _describe(error: BaseException) -> str:
    if isinstance(error, OMTraderError):
        return error.message
    return f"{type(error).__name__}: {error}"[:200]
