"""The server app of the benchmark: agentsite itself plus two comparison paths.

`/bench/bare/?n=N` sends N envelope-shaped frames and stores nothing (the ceiling
the ASGI server and the socket set); `/bench/naive/?n=N&session=ID` stores each
event in its own transaction before sending it (one INSERT per event, the design
the micro-batching recorder replaced). Both live in the same process as the real
app, so the three paths are measured side by side on one server. Every other
request goes to `agentsite.asgi.application` unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from agents.events import Info
from agentsite.asgi import application as agentsite_app
from conversations.engine.storage import write_batch
from conversations.engine.threads import in_db_thread

MAX_FRAMES = 1_000_000


def _query(scope: dict) -> dict[str, str]:
    raw = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[0] for key, values in raw.items()}


def _envelope(session: str, seq: int) -> dict[str, Any]:
    """A frame the shape and size of a stored `info` event."""
    return {
        "session": session,
        "seq": seq,
        "run": session,
        "type": "info",
        "data": {"text": f"event {seq}"},
        "ts": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }


async def _stream(scope: dict, receive, send, store: bool) -> None:
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    query = _query(scope)
    count = min(int(query.get("n", "0")), MAX_FRAMES)
    session = query.get("session", "00000000-0000-0000-0000-000000000000")
    for seq in range(1, count + 1):
        if store:
            (frame,) = await in_db_thread(
                write_batch, session, None, [Info(f"event {seq}")]
            )
        else:
            frame = _envelope(session, seq)
        await send({"type": "websocket.send", "text": json.dumps(frame)})
    # Then idle until the client goes: with n=0 this is the bare idle socket.
    while (await receive())["type"] != "websocket.disconnect":
        pass


async def application(scope: dict, receive, send) -> None:
    """Route the two bench paths; hand everything else to agentsite."""
    path = scope.get("path", "")
    if scope["type"] == "websocket" and path == "/bench/bare/":
        await _stream(scope, receive, send, store=False)
    elif scope["type"] == "websocket" and path == "/bench/naive/":
        await _stream(scope, receive, send, store=True)
    else:
        await agentsite_app(scope, receive, send)
