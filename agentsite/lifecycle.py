"""The server process's life around the ASGI app: start-up duties, SIGTERM, and
the patches to the server libraries (daphne, autobahn), all applied when
`agentsite.asgi` loads.

daphne has no lifespan events, so `ServerLifecycle` (the outermost ASGI wrapper)
starts the run engine's per-process duties with the first request, a load
balancer's health check typically, moments after start-up. On SIGTERM every open
socket is closed with 1012 ("service restart") before the server's own handler
runs, so clients resume on another instance from their last seq, and the
process's MCP server connections are closed (a stdio server's process ends
with its connection instead of outliving the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

import autobahn.util
from django.conf import settings

from conversations.engine.process import EngineProcess
from conversations.engine.service import start_engine

logger = logging.getLogger(__name__)

CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013  # a client that stayed behind: reconnect and resume
SERVER_GOING_AWAY_CODES = frozenset(
    {1001, CLOSE_SERVICE_RESTART, CLOSE_TRY_AGAIN_LATER}
)
FLUSH_SECONDS = 0.2  # lets the close frames leave the socket buffers
DRAIN_POLL_SECONDS = 0.008
DROP_GRACE_SECONDS = 1.0
MCP_CLOSE_SECONDS = 3.0


class ServerLifecycle:
    """ASGI wrapper: per-process duties on the first request, and the `send` of
    every WebSocket of this process, so that SIGTERM can close each with 1012
    (a socket already closed ignores it)."""

    def __init__(self, app) -> None:
        self.app = app
        self.sockets: set[Any] = set()
        self.loops: set[asyncio.AbstractEventLoop] = set()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in {"http", "websocket"}:
            return await self.app(scope, receive, send)
        start_engine()
        self._take_sigterm()
        if scope["type"] == "http":
            return await self.app(scope, receive, send)
        self.sockets.add(send)
        try:
            return await self.app(scope, receive, send)
        finally:
            self.sockets.discard(send)

    def _take_sigterm(self) -> None:
        """Take over SIGTERM on the running loop (once per loop, main thread only)."""
        loop = asyncio.get_running_loop()
        if loop in self.loops:
            return
        self.loops.add(loop)
        previous = signal.getsignal(signal.SIGTERM)
        # Outside the main thread (tests' loops) SIGTERM is not this loop's to take.
        with contextlib.suppress(RuntimeError, ValueError):
            loop.add_signal_handler(
                signal.SIGTERM,
                lambda: loop.create_task(self._close_then_stop(loop, previous)),
            )

    async def _close_then_stop(self, loop: asyncio.AbstractEventLoop, previous: Any):
        sockets = list(self.sockets)
        logger.info(
            "SIGTERM: closing %d socket(s) with %d", len(sockets), CLOSE_SERVICE_RESTART
        )
        close = {"type": "websocket.close", "code": CLOSE_SERVICE_RESTART}
        await asyncio.gather(*(send(close) for send in sockets), return_exceptions=True)
        if sockets:
            await asyncio.sleep(FLUSH_SECONDS)
        try:
            async with asyncio.timeout(MCP_CLOSE_SECONDS):
                await EngineProcess.current().mcp.close()
        except Exception:  # shutting down all the same
            logger.exception("SIGTERM: closing the MCP connections failed")
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)
        os.kill(os.getpid(), signal.SIGTERM)


def patch_server_libraries() -> None:
    """Apply the patches below once; each fails loudly if its library moved."""
    plain_autobahn_log_arguments()
    daphne = sys.modules.get("daphne.server")
    if daphne is not None and not getattr(daphne.Server, "agentsite_patched", False):
        allow_server_going_away_codes()
        close_oversized_messages_cleanly()
        wait_for_slow_readers(daphne.Server)
        daphne.Server.agentsite_patched = True


def plain_autobahn_log_arguments() -> None:
    """Stop autobahn colouring the arguments of debug log lines nobody reads.

    autobahn builds the arguments of its debug log calls even when debug logging
    is off, and colours them with `click.style` whenever click can be imported:
    four calls for every frame sent, a quarter of the event loop's CPU on a
    flood of ten runs. Without click it formats plain strings.
    """
    autobahn.util._HAS_CLICK = False


def allow_server_going_away_codes() -> None:
    """Let daphne send 1001, 1012 and 1013.

    daphne hands an ASGI `websocket.close` code to autobahn's `sendClose()`,
    which only accepts 1000 and 3000-4999, so these codes failed inside daphne
    and the socket was dropped with no close frame (clients saw 1006).
    `sendCloseFrame()` writes the frame and moves the protocol to CLOSING exactly
    as `sendClose()` does after its check.
    """
    from daphne.ws_protocol import WebSocketProtocol

    original = WebSocketProtocol.serverClose

    def server_close(self, code=None):
        if code in SERVER_GOING_AWAY_CODES:
            self.sendCloseFrame(code=code, isReply=False)
        else:
            original(self, code)

    WebSocketProtocol.serverClose = server_close


def close_oversized_messages_cleanly() -> None:
    """A message over daphne's size limit gets the close frame 1009 the protocol
    promises: autobahn fails a connection by dropping TCP unless told to do the
    closing handshake, and then clients saw only 1006."""
    from daphne.ws_protocol import WebSocketFactory

    original = WebSocketFactory.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.setProtocolOptions(failByDrop=False)

    WebSocketFactory.__init__ = init


def unread_bytes(protocol: Any) -> int:
    """Bytes written to a connection that the peer has not taken yet: the TCP
    transport's buffer, found under a WebSocket protocol's transport or an HTTP
    request's channel's, through any wrappers (timeouts, TLS). 0 when the
    transport is not one that says."""
    transport = getattr(protocol, "transport", None)
    if transport is None:
        transport = getattr(getattr(protocol, "channel", None), "transport", None)
    for _ in range(5):  # a wrapper keeps the real transport as its own
        if transport is None or hasattr(transport, "dataBuffer"):
            break
        transport = getattr(transport, "transport", None)
    data = getattr(transport, "dataBuffer", None)
    if data is None:
        return 0
    return (
        len(data)
        - getattr(transport, "offset", 0)
        + getattr(transport, "_tempDataLen", 0)
    )


def wait_for_slow_readers(server_class: type) -> None:
    """Give daphne backpressure: an app's `send` returns only once the client has
    taken most of what was sent before.

    daphne queues whatever the app sends on the TCP transport without limit, so a
    client that stopped reading grew the server by everything sent to it: a few
    stalled replays of a long session cost hundreds of megabytes.
    Now a send waits while more than CLIENT_BUFFER_BYTES are unread; a client
    still behind after SLOW_CLIENT_SECONDS is dropped, a WebSocket with close
    code 1013 (try again later), a stream by closing it, and it resumes from its
    last seq like any reconnecting client.
    """
    original = server_class.handle_reply

    async def handle_reply(self, protocol, message):
        if getattr(protocol, "agentsite_dropped", False):
            return  # being let go: nothing more is queued for it
        await original(self, protocol, message)
        if unread_bytes(protocol) > settings.CLIENT_BUFFER_BYTES:
            await _wait_for_reader(protocol)

    server_class.handle_reply = handle_reply


async def _wait_for_reader(protocol: Any) -> None:
    """Return once the client has taken most of what it was sent, looking again
    after 1 ms, then twice as long each time up to DRAIN_POLL_SECONDS: a reader
    that keeps up waits a millisecond, a stalled one costs a few looks a second."""
    limit = settings.CLIENT_BUFFER_BYTES
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.SLOW_CLIENT_SECONDS
    pause = 0.001
    while unread_bytes(protocol) > limit // 2:
        if loop.time() > deadline:
            _drop(protocol)
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, DRAIN_POLL_SECONDS)


def _drop(protocol: Any) -> None:
    """Let a client go that stayed behind: a WebSocket is sent close 1013 (seen
    by a client that catches up within DROP_GRACE_SECONDS), then the connection
    is cut, which frees whatever it left unread."""
    logger.info(
        "dropping a client that stopped reading (%d bytes unread)",
        unread_bytes(protocol),
    )
    protocol.agentsite_dropped = True
    if hasattr(protocol, "sendCloseFrame"):
        protocol.sendCloseFrame(code=CLOSE_TRY_AGAIN_LATER, isReply=False)
        transport = protocol.transport
    else:
        transport = protocol.channel.transport
    asyncio.get_running_loop().call_later(DROP_GRACE_SECONDS, transport.abortConnection)
