"""Two fixes to how daphne closes WebSockets: the codes a server sends, and shutdown.

Close codes. Daphne hands an ASGI `websocket.close` code to Autobahn's `sendClose()`, which
accepts only 1000 and 3000-4999 (the browser API's rule for clients) and raises for 1012
"Service Restart", so an ASGI application cannot tell a browser to come back after a restart
(django/daphne#374, crossbario/autobahn-python#1642, both open). The htmx ws extension
reconnects only on 1006, 1011, 1012 and 1013 (and a client breaking the protocol gets 1008,
Policy Violation). These codes go out through Autobahn's
lower-level `sendCloseFrame()` instead, as a close handshake the server starts; every other
code takes daphne's own path.

Shutdown. On SIGTERM daphne cancels every application (`Server.kill_all_applications`), but
it reads `details["application_instance"]` of every connection, and a connection has none
until its application starts: an HTTP request still arriving, and the request that upgraded
to a WebSocket (kept until `application_checker` sweeps it, up to a second later). So a
SIGTERM within a second of a socket opening raised KeyError there; Twisted logs it (only
with -v 2) and stops the reactor with every application still running. Nothing was
cancelled, so no socket got its 1012, and the coroutines left suspended were closed by the
garbage collector during interpreter finalization, where Python 3.11.7 crashes
(segmentation fault) on the repr() of an asyncio Future in `asyncio.Queue.get`'s cleanup
(CPython gh-113566, fixed in 3.11.8). The replacement skips connections without one, and
stops the embedded relay and the scheduler too, which are no applications of daphne's.

Installed by LiveConfig.ready(), and only inside daphne (when its modules are loaded
already): other processes never import Twisted because of it.
"""

from __future__ import annotations

import asyncio
import logging
import sys

SERVER_CODES = frozenset({1008, 1011, 1012, 1013})

log = logging.getLogger("daphne.server")


def install() -> bool:
    ws_protocol = sys.modules.get("daphne.ws_protocol")
    server = sys.modules.get("daphne.server")
    if ws_protocol is None or server is None:
        return False
    _install_server_codes(ws_protocol.WebSocketProtocol)
    server.Server.kill_all_applications = kill_all_applications
    return True


def _install_server_codes(protocol) -> None:
    if getattr(protocol.serverClose, "live_server_codes", False):
        return
    original = protocol.serverClose

    def server_close(self, code=None):
        if code in SERVER_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            original(self, code)

    server_close.live_server_codes = True
    protocol.serverClose = server_close


def kill_all_applications(self):
    """daphne's, for connections that have an application only (see the module docstring)."""
    from twisted.internet import defer

    running = [details["application_instance"] for details in self.connections.values()
               if "application_instance" in details]
    running = [instance for instance in running if not instance.done()]
    for instance in running:
        instance.cancel()
    log.info("Killed %i pending application instances", len(running))
    from crmportal.live.embedded import stop_embedded_relay

    running += stop_embedded_relay()  # it closes its upstream socket and leaves the layer
    # Twisted stops the reactor once they are all done.
    # return_exceptions: wait for every one; a cancelled task ends gather() at once otherwise
    waiting = defer.Deferred.fromFuture(asyncio.gather(*running, return_exceptions=True))
    waiting.addErrback(lambda _: None)
    return waiting
