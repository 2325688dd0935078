"""Graceful shutdown: on SIGTERM, tell every open socket to reconnect elsewhere.

A server being stopped (deploy, scale-in) would otherwise just drop its
connections; browsers would see an abnormal closure (1006). Instead each socket
gets a close frame 1012 ("service restart"), the client resumes on another
instance from its last seq, and only then does the server's own SIGTERM handling
(daphne's, uvicorn's) take over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import weakref
from typing import Any

from agentsite.daphne_close_codes import allow_server_going_away_codes

logger = logging.getLogger(__name__)

CLOSE_SERVICE_RESTART = 1012
FLUSH_SECONDS = 0.2  # lets the close frames leave the socket buffers

open_sockets: weakref.WeakSet = weakref.WeakSet()
_installed: weakref.WeakSet = weakref.WeakSet()


def install_graceful_shutdown() -> None:
    """Take over SIGTERM on the running loop (once per loop, main thread only)."""
    loop = asyncio.get_running_loop()
    if loop in _installed:
        return
    _installed.add(loop)
    allow_server_going_away_codes()
    previous = signal.getsignal(signal.SIGTERM)
    # Outside the main thread (tests' loops) SIGTERM is not this loop's to take.
    with contextlib.suppress(RuntimeError, ValueError):
        loop.add_signal_handler(
            signal.SIGTERM, lambda: loop.create_task(_close_then_stop(loop, previous))
        )


async def _close_then_stop(loop: asyncio.AbstractEventLoop, previous: Any) -> None:
    sockets = list(open_sockets)
    logger.info(
        "SIGTERM: closing %d socket(s) with %d", len(sockets), CLOSE_SERVICE_RESTART
    )
    await asyncio.gather(
        *(socket.close(code=CLOSE_SERVICE_RESTART) for socket in sockets),
        return_exceptions=True,
    )
    if sockets:
        await asyncio.sleep(FLUSH_SECONDS)
    loop.remove_signal_handler(signal.SIGTERM)
    signal.signal(signal.SIGTERM, previous)
    os.kill(os.getpid(), signal.SIGTERM)
