"""MCP servers of a real daphne process: one child per configured server,
however many runs use it, and none left once SIGTERM has stopped the server."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from tests.factories import new_session
from tests.live_client import frames_until, is_finished, open_live
from tests.servers import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def mcp_children(server: ServerProcess) -> list[int]:
    return [
        pid
        for pid, command in server.children().items()
        if "tests.mcp.servers" in command
    ]


def alive(pid: int) -> bool:
    """Whether the process runs (an unreaped zombie has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_runs_share_one_server_child_and_sigterm_ends_it(
    server_env, alice, alice_token
):
    sessions = [
        await database_sync_to_async(new_session)(user, "mcp-caller")
        for user in (alice, alice, alice)
    ]
    server = ServerProcess(env=server_env).start()
    try:
        for session in sessions:
            ws, _ = await open_live(server, session.id, alice_token)
            await ws.send(json.dumps({"type": "message", "text": "mcp_test__pid"}))
            frames = await frames_until(ws, is_finished)
            await ws.close()
            assert frames[-1]["data"]["status"] == "succeeded"
        (child,) = mcp_children(server)
        server.signal(signal.SIGTERM)
        server.process.wait(timeout=20)
        async with asyncio.timeout(10):
            while alive(child):  # noqa: ASYNC110 - another process's end
                await asyncio.sleep(0.05)
    finally:
        server.stop()
