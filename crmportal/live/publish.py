"""The one place that publishes live events, and the channel group names they travel on.

Group names are built from ids only, never from input:

    live.all                       every group (staff without a group limit)
    live.group.<group_id>          one OMTrader group
    live.client.<client_id>.<group_id>   one client's rows in one group (client 360 panel)
    live.account.<account_id>.<group_id> one account's money (the account page)
    live.broadcast                 relay status and "resync" to every socket
    live.relay                     the active relay's inbox (snapshot requests, watches)
    live.member.<user_id>          every socket of one staff member (sign-out, re-check)
    live.dash.all, live.dash.group.<group_id>   the dashboard's live counts (no rows)
    live.list.<list>.all, live.list.<list>.group.<group_id>   the trading lists' rows
                                   (<list>: positions or orders; /trading/positions/, /orders/)

Every update carries the relay's `epoch` (one per relay run) and a per-group `seq`, so a
socket notices a message the channel layer dropped (a full channel drops silently) or a new
relay, and asks for a snapshot instead of trusting what it has.

An update's items travel packed (keys and lengths as text, the fragments concatenated) so the
in-memory layer's per-recipient deepcopy stays cheap; `unpack()` restores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

ALL = "live.all"
BROADCAST = "live.broadcast"
RELAY_INBOX = "live.relay"


def group_audience(group_id: int) -> str:
    return f"live.group.{int(group_id)}"


def client_audience(client_id: int, group_id: int) -> str:
    return f"live.client.{int(client_id)}.{int(group_id)}"


def account_audience(account_id: int, group_id: int) -> str:
    return f"live.account.{int(account_id)}.{int(group_id)}"


def dashboard_audience(group_id: int | None) -> str:
    """The dashboard's counts of every group (None) or one: a channel group of their own, so
    a dashboard socket never receives the board's rows."""
    return "live.dash.all" if group_id is None else f"live.dash.group.{int(group_id)}"


LISTS = ("positions", "orders")  # the trading lists a socket may watch (watches.Watch.kind)


def list_audience(name: str, group_id: int | None) -> str:
    """The rows of a trading list (open positions, pending orders) of every group (None) or
    one: their own channel groups, rendered with the list's partial, not the board's."""
    if name not in LISTS:
        raise ValueError(f"no live list {name!r}")
    if group_id is None:
        return f"live.list.{name}.all"
    return f"live.list.{name}.group.{int(group_id)}"


def member_audience(user_id: int) -> str:
    return f"live.member.{int(user_id)}"


def pack(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    from crmportal.live.render import kind_of

    kinds = {kind_of(key) for key, _ in items}
    return {
        "keys": " ".join(key for key, _ in items),
        "lens": " ".join(str(len(html)) for _, html in items),
        "html": "".join(html for _, html in items),
        "kind": kinds.pop() if len(kinds) == 1 else "mixed",
    }


def unpack(message: dict[str, Any]) -> list[tuple[str, str]]:
    keys = message["keys"].split()
    html = message["html"]
    items, start = [], 0
    for key, length in zip(keys, message["lens"].split(), strict=True):
        end = start + int(length)
        items.append((key, html[start:end]))
        start = end
    return items


class Publisher:
    """Sends what the relay rendered. Nothing else in the portal calls group_send for live."""

    def __init__(self, layer, epoch: str):
        self.layer = layer
        self.epoch = epoch
        self.seq: dict[str, int] = {}
        self.sent = 0

    async def update(self, audience: str, items: Sequence[tuple[str, str]]) -> None:
        seq = self.seq.get(audience, 0) + 1
        self.seq[audience] = seq
        self.sent += 1
        await self.layer.group_send(
            audience, {"type": "live.update", "epoch": self.epoch, "audience": audience, "seq": seq,
                     **pack(items)},
        )

    def seqs(self, audiences: Iterable[str]) -> dict[str, int]:
        return {audience: self.seq.get(audience, 0) for audience in audiences}

    async def snapshot(self, reply_to: str, audiences: Sequence[str], parts: Sequence[str],
                       at: float | None = None) -> None:
        """`parts`: the snapshot's messages, one kind of fragment each (render.kind_of);
        `at`: the relay's time of a trading list's snapshot (its socket asks from there)."""
        message = {"type": "live.snapshot", "epoch": self.epoch,
                   "seqs": self.seqs(audiences), "parts": list(parts)}
        if at is not None:
            message["at"] = at
        await self.layer.send(reply_to, message)

    async def status(self, state: str, html: str) -> None:
        await self.layer.group_send(
            BROADCAST, {"type": "live.status", "epoch": self.epoch, "state": state, "html": html}
        )

    async def resync(self) -> None:
        """Every socket asks for a fresh snapshot (a new relay, or upstream reconciled)."""
        await self.layer.group_send(BROADCAST, {"type": "live.resync", "epoch": self.epoch})


async def ask_snapshot(layer, reply_to: str, view: dict[str, Any],
                       since: float | None = None) -> None:
    """A socket asks the relay (whichever process runs it) for a snapshot of its view; a
    trading list's socket adds `since`: the changes after it come too (lists.py)."""
    message = {"type": "live.snapshot.request", "reply_to": reply_to, "view": view}
    if since is not None:
        message["since"] = since
    await layer.group_send(RELAY_INBOX, message)


async def watch(layer, view: dict[str, Any]) -> None:
    """A socket says it still shows this view (the relay renders only what someone watches)."""
    await layer.group_send(RELAY_INBOX, {"type": "live.watch", "view": view})


async def end_member(layer, user_id: int, reason: str) -> None:
    """Every socket of this member, in any process, shows `reason` and closes (signed out)."""
    await layer.group_send(member_audience(user_id), {"type": "live.end", "reason": reason})


async def recheck_member(layer, user_id: int) -> None:
    """Every socket of this member re-reads what the member may see now (a change to them)."""
    await layer.group_send(member_audience(user_id), {"type": "live.recheck"})
