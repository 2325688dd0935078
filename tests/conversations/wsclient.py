"""Helpers to talk to the real ASGI application over a WebsocketCommunicator."""

from __future__ import annotations

import json

from channels.testing import WebsocketCommunicator

from agentsite.asgi import application

ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")


def connect_url(session_id, token: str | None = None, after: int | None = None) -> str:
    query = []
    if token:
        query.append(f"token={token}")
    if after is not None:
        query.append(f"after={after}")
    return f"/ws/sessions/{session_id}/" + ("?" + "&".join(query) if query else "")


def communicator(url: str, headers: list | None = None) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, url, headers=[ORIGIN, HOST] if headers is None else headers
    )


async def open_socket(session_id, token: str, after: int | None = None):
    """Connect as the token's user; return the communicator and its hello frame."""
    ws = communicator(connect_url(session_id, token, after))
    connected, _ = await ws.connect()
    assert connected
    hello = await ws.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return ws, hello


async def receive_until(ws, predicate, wait: float = 10.0) -> list[dict]:
    """Collect frames until one satisfies `predicate` (included)."""
    frames = []
    while True:
        frame = await ws.receive_json_from(timeout=wait)
        frames.append(frame)
        if predicate(frame):
            return frames


async def send_raw(ws, text: str) -> None:
    await ws.send_to(text_data=text)


def dumps(value) -> str:
    return json.dumps(value)
