"""A WebSocket client for real server processes (the `websockets` library)."""

from __future__ import annotations

import json
import urllib.request

from channels.db import database_sync_to_async
from websockets.asyncio.client import ClientConnection, connect

from tests.servers import ServerProcess


async def open_live(
    server: ServerProcess, session_id, token: str, after: int | None = None, **options
) -> tuple[ClientConnection, dict]:
    """Connect as the token's user (Origin of the server itself); return the hello."""
    query = f"?token={token}" + (f"&after={after}" if after is not None else "")
    ws = await connect(
        f"ws://127.0.0.1:{server.port}/ws/sessions/{session_id}/{query}",
        origin=f"http://127.0.0.1:{server.port}",
        **options,
    )
    hello = json.loads(await ws.recv())
    assert hello["type"] == "hello", hello
    return ws, hello


async def frames_until(
    ws: ClientConnection, predicate, limit: float = 30.0
) -> list[dict]:
    """Frames up to and including the first that satisfies `predicate`."""
    import asyncio

    frames = []
    async with asyncio.timeout(limit):
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if predicate(frame):
                return frames


def post_message(server: ServerProcess, session_id, token: str, text: str) -> dict:
    """`POST /api/sessions/<id>/messages/`; returns {"run", "seq"}."""
    return post_message_to(server.base_url, session_id, token, text)


def post_message_to(base_url: str, session_id, token: str, text: str) -> dict:
    """`post_message` by URL, for clients that know only where the server is."""
    request = urllib.request.Request(
        f"{base_url}/api/sessions/{session_id}/messages/",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 202:
            raise RuntimeError(f"message not accepted: {response.status}")
        return json.loads(response.read())


def event_seqs(frames: list[dict]) -> list[int]:
    """Seqs of the stored events among the frames (acks carry a seq too)."""
    return [frame["seq"] for frame in frames if "session" in frame]


def is_finished(frame: dict) -> bool:
    """A run's last frame."""
    return frame.get("type") == "run_finished"


@database_sync_to_async
def stored_seqs(session_id) -> list[int]:
    """The session's stored seqs, to compare with what a client received."""
    from conversations.models import Event

    return list(Event.objects.for_session(session_id).values_list("seq", flat=True))
