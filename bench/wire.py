"""The client side of the wire: WebSocket connections and timestamped frames."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

# Every read is bounded: a lost frame fails the scenario instead of hanging it.
READ_LIMIT = 120.0


async def open_session(
    port: int, session_id: str, token: str, **options: Any
) -> ClientConnection:
    """A socket on a session as a browser opens it (Origin, compression offered);
    the `hello` frame is consumed."""
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/sessions/{session_id}/?token={token}",
        origin=f"http://127.0.0.1:{port}",
        max_size=None,
        open_timeout=60,
        **options,
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), READ_LIMIT))
    if hello.get("type") != "hello":
        raise RuntimeError(f"expected hello, got {hello}")
    return ws


async def send_message(ws: ClientConnection, text: str) -> float:
    """Send a chat message; return the wall-clock time it left."""
    sent = time.time()
    await ws.send(json.dumps({"type": "message", "text": text}))
    return sent


async def read_run(
    ws: ClientConnection, limit: float = READ_LIMIT
) -> list[tuple[float, dict]]:
    """(arrival time, frame) up to and including the first `run_finished`."""
    frames: list[tuple[float, dict]] = []
    async with asyncio.timeout(limit):
        while True:
            frame = json.loads(await ws.recv())
            frames.append((time.time(), frame))
            if frame.get("type") == "run_finished":
                return frames


def stored(frames: list[tuple[float, dict]]) -> list[tuple[float, dict]]:
    """The stored events among the frames (acks and deltas carry no `session`)."""
    return [(at, f) for at, f in frames if "session" in f and "seq" in f]


def event_time(frame: dict) -> float:
    """The stored `ts` of an envelope as epoch seconds (same clock: loopback)."""
    return datetime.fromisoformat(frame["ts"].replace("Z", "+00:00")).timestamp()
