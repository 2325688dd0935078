"""Clients that stop reading, or ask for everything again and again, cost the
server a bounded amount: sends wait for the reader, and a reader that stays
behind is dropped (it resumes from its last seq when it comes back)."""

import asyncio
import json
import socket

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed

from agents.events import Info
from conversations.engine.storage import write_batch
from tests.factories import new_session
from tests.live_client import frames_until, is_finished, open_live
from tests.servers import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BIG_EVENTS = 20_000
PADDING = "x" * 1000  # about a kilobyte an event: a 20 MB transcript


@database_sync_to_async
def stored_session(owner, events: int, padding: str = PADDING):
    session = new_session(owner, "math")
    for start in range(0, events, 1000):
        write_batch(
            session.id,
            None,
            [Info(f"{n} {padding}") for n in range(start, start + 1000)],
        )
    return session


def small_window(port: int) -> socket.socket:
    """A connected socket whose kernel takes little before the sender must wait."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


def stalled_stream(port: int, session_id, token: str) -> socket.socket:
    """An SSE request from a client with a tiny receive window that never reads."""
    sock = small_window(port)
    sock.sendall(
        f"GET /api/sessions/{session_id}/stream/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Token {token}\r\n\r\n".encode()
    )
    return sock


async def read_to_the_end(ws) -> bool:
    """Whether the server closed the socket (rather than leaving it open)."""
    try:
        async with asyncio.timeout(15):
            while True:
                await ws.recv()
    except ConnectionClosed:
        return True
    except TimeoutError:
        return False


async def test_readers_that_stop_reading_keep_the_server_bounded_and_are_dropped(
    server_env, alice, alice_token
):
    session = await stored_session(alice, BIG_EVENTS)
    env = {**server_env, "SLOW_CLIENT_SECONDS": "3"}
    with ServerProcess(env=env) as server:
        before = server.rss_kb()
        sleepers = [
            (
                await open_live(
                    server,
                    session.id,
                    alice_token,
                    after=0,
                    max_queue=1,
                    max_size=2**20,
                )
            )[0]
            for _ in range(10)
        ]
        streams = [
            stalled_stream(server.port, session.id, alice_token) for _ in range(10)
        ]
        await asyncio.sleep(2)
        growth_mb = (server.rss_kb() - before) / 1024
        # Unbounded, each of the 20 would hold its own copy of a 20 MB transcript.
        assert growth_mb < 80, f"server grew {growth_mb:.0f} MB for 20 stalled readers"
        async with asyncio.timeout(60):  # each is let go SLOW_CLIENT_SECONDS after
            while server.log_tail(10**6).count("dropping a client") < 20:  # noqa: ASYNC110
                await asyncio.sleep(0.5)
        ended = await asyncio.gather(*(read_to_the_end(ws) for ws in sleepers))
        assert ended == [True] * len(sleepers), server.log_tail()
        ws, _ = await open_live(server, session.id, alice_token)
        await ws.send(json.dumps({"type": "message", "text": "add 2 and 2"}))
        frames = await frames_until(ws, is_finished)
        assert frames[-1]["data"]["status"] == "succeeded"
        await ws.close()
        for sock in streams:
            sock.close()


async def test_a_flood_of_resume_frames_costs_about_one_replay(
    live_server_process, alice, alice_token
):
    events = 5_000
    session = await stored_session(alice, events, padding="")
    ws, _ = await open_live(live_server_process, session.id, alice_token, max_size=None)
    for _ in range(30):
        await ws.send(json.dumps({"type": "resume", "after": 0}))
    received = 0
    last = 0
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 3))
            received += 1
            last = frame.get("seq") or last
    except TimeoutError:
        pass
    assert last == events  # the last resume was served whole
    # Every resume served whole was 150,000 frames; the newer one replaces the older.
    assert received < 3 * events, received
    await ws.close()
