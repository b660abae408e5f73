"""One OMTrader read of a client and its accounts, shared by the client panels of a process.

Each client panel socket re-checks its member every LIVE_RECHECK_SECONDS (and at once when a
member changes), and the scope rule needs the client with all its accounts: fifty panels open
on one client read them fifty times a period. What OMTrader answers is the same for every
member (what each member may see is decided per socket afterwards, on the freshly loaded
member), so a re-check takes a read of the same client that finished less than FRESH_SECONDS
ago or is still under way, instead of reading again. A failed read is not kept. A socket that
connects reads for itself, as the page it belongs to did.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

from crmportal.omtrader.entities import Client, TradingAccount

FRESH_SECONDS = 10.0

Read = tuple[Client, list[TradingAccount]]

_lock = threading.Lock()
_reads: dict[int, tuple[float, Future]] = {}  # client id -> (started, the read)


def client_with_accounts(client_id: int) -> Read:
    """The client and every account of it, read now."""
    from crmportal.omtrader.client import get_omtrader

    omt = get_omtrader()
    client = omt.get_client(client_id)
    return client, list(omt.iter_all(omt.list_accounts, client_id=client_id))


def shared_client_with_accounts(client_id: int) -> Read:
    """The same, from a recent or running read of this process when there is one."""
    now = time.monotonic()
    with _lock:
        for stale in [c for c, (started, _) in _reads.items() if now - started >= FRESH_SECONDS]:
            del _reads[stale]
        started, read = _reads.get(client_id, (now, None))
        mine = read is None
        if mine:
            read = Future()
            _reads[client_id] = (started, read)
    if mine:
        try:
            read.set_result(client_with_accounts(client_id))
        except BaseException as error:  # noqa: BLE001 - handed to every waiter, raised below
            with _lock:
                if _reads.get(client_id, (0, None))[1] is read:
                    del _reads[client_id]
            read.set_exception(error)
    return read.result()


def forget() -> None:
    """Drop every shared read (tests)."""
    with _lock:
        _reads.clear()
