"""Let daphne send the close codes a server is meant to send: 1011, 1012 and 1013.

Daphne hands an ASGI `websocket.close` code to Autobahn's `sendClose()`, which accepts only
1000 and 3000-4999 (the browser API's rule for clients) and raises for 1012 "Service
Restart", so an ASGI application cannot tell a browser to come back after a restart
(django/daphne#374, crossbario/autobahn-python#1642, both open). The htmx ws extension
reconnects only on 1006, 1011, 1012 and 1013. These codes go out through Autobahn's
lower-level `sendCloseFrame()` instead, as a close handshake the server starts; every other
code takes daphne's own path.

Installed by LiveConfig.ready(), and only inside daphne (when its protocol module is loaded
already): other processes never import Twisted because of it.
"""

from __future__ import annotations

import sys

SERVER_CODES = frozenset({1011, 1012, 1013})


def install() -> bool:
    module = sys.modules.get("daphne.ws_protocol")
    if module is None:
        return False
    protocol = module.WebSocketProtocol
    if getattr(protocol.serverClose, "live_server_codes", False):
        return True
    original = protocol.serverClose

    def server_close(self, code=None):
        if code in SERVER_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            original(self, code)

    server_close.live_server_codes = True
    protocol.serverClose = server_close
    return True
