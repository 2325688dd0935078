"""Let daphne send the close codes a server that is going away should send.

RFC 6455 gives servers 1001 ("going away") and 1012 ("service restart") to tell a
client to reconnect elsewhere. daphne hands an ASGI `websocket.close` code to
autobahn's public `sendClose()`, which only accepts 1000 and 3000-4999, so those
two codes fail inside daphne and the socket is dropped with no close frame
(clients see 1006). This sends them through autobahn's `sendCloseFrame()` instead,
which writes the frame and moves the protocol to CLOSING exactly as `sendClose()`
does after its check.
"""

from __future__ import annotations

import sys

SERVER_GOING_AWAY_CODES = frozenset({1001, 1012})


def allow_server_going_away_codes() -> None:
    """Patch daphne's WebSocket protocol once, if daphne is the running server."""
    module = sys.modules.get("daphne.ws_protocol")
    if module is None:
        return
    protocol = module.WebSocketProtocol
    if getattr(protocol.serverClose, "allows_going_away", False):
        return
    original = protocol.serverClose

    def server_close(self, code=None):
        if code in SERVER_GOING_AWAY_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            original(self, code)

    server_close.allows_going_away = True
    protocol.serverClose = server_close
