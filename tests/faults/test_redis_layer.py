"""Several instances on PostgreSQL + Redis: live events and cancels cross processes,
100 sockets at once work with the pinned set, and a Redis outage loses nothing."""

import asyncio
import json
import subprocess

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conversations.models import Event, Run
from tests.factories import new_session
from tests.live_client import (
    event_seqs,
    frames_until,
    is_finished,
    open_live,
    post_message,
    stored_seqs,
)
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]

REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


async def test_socket_on_one_instance_follows_a_run_on_another_and_cancels_it(
    server_env, redis_url, alice, alice_token
):
    session = await database_sync_to_async(new_session)(alice, "slow")
    a = ServerProcess(env=server_env).start()
    b = ServerProcess(env=server_env).start()
    try:
        ws, _ = await open_live(a, session.id, alice_token)
        accepted = await asyncio.to_thread(
            post_message, b, session.id, alice_token, "talk"
        )
        live = await frames_until(ws, lambda f: f.get("type") == "delta")
        assert live[-1]["run"] == accepted["run"]
        await ws.send(json.dumps({"type": "cancel"}))
        rest = await frames_until(ws, is_finished)
        assert rest[-1]["data"]["status"] == "cancelled"
        assert event_seqs(live + rest) == await stored_seqs(session.id)
        run = await Run.objects.aget(pk=accepted["run"])
        assert run.status == "cancelled"
        await ws.close()
    finally:
        a.stop()
        b.stop()


async def test_a_hundred_sockets_at_once_all_finish_their_runs(
    server_env, redis_url, alice, alice_token
):
    # One user's hundred messages at once: past the per-user message limit.
    server = ServerProcess(env={**server_env, "MESSAGE_RATE": "1000/min"}).start()
    sessions = [
        await database_sync_to_async(new_session)(alice, "math") for _ in range(100)
    ]

    async def converse(session) -> list[dict]:
        ws, _ = await open_live(server, session.id, alice_token)
        await ws.send(json.dumps({"type": "message", "text": "add 2 and 2"}))
        frames = await frames_until(ws, is_finished, limit=60)
        await ws.close()
        return frames

    try:
        results = await asyncio.gather(*(converse(s) for s in sessions))
        for session, frames in zip(sessions, results, strict=True):
            assert frames[-1]["data"]["status"] == "succeeded"
            assert event_seqs(frames) == await stored_seqs(session.id)
    finally:
        server.stop()


async def follow_with_reconnects(
    server, session_id, token: str, until_seq_of
) -> list[dict]:
    """Like a browser: on any drop, reconnect with backoff and resume after the last seq."""
    frames: list[dict] = []
    delay = 0.2
    async with asyncio.timeout(90):
        while True:
            after = max(event_seqs(frames), default=0)
            try:
                ws, _ = await open_live(server, session_id, token, after=after)
                while True:
                    frame = json.loads(await ws.recv())
                    frames.append(frame)
                    if until_seq_of(frame):
                        await ws.close()
                        return frames
            except (ConnectionClosed, InvalidStatus, OSError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)


@pytest.mark.disruptive
async def test_redis_down_for_ten_seconds_mid_run_loses_nothing(
    server_env, redis_url, alice, alice_token
):
    session = await database_sync_to_async(new_session)(alice, "math")
    server = ServerProcess(env={**server_env, "AGENT_STEP_DELAY": "4"}).start()
    try:
        follower = asyncio.create_task(
            follow_with_reconnects(server, session.id, alice_token, is_finished)
        )
        accepted = await asyncio.to_thread(
            post_message, server, session.id, alice_token, "what is ((3 + 4) * 5) - 6?"
        )
        await asyncio.sleep(1)
        stop = ["redis-cli", "-p", "6379", "shutdown", "nosave"]
        await asyncio.to_thread(subprocess.run, stop, check=False)
        try:
            await asyncio.sleep(10)
            assert await Event.objects.filter(session_id=session.id).acount() > 2
        finally:
            await asyncio.to_thread(subprocess.run, REDIS_START, check=True)
        frames = await follower
        assert event_seqs(frames) == await stored_seqs(session.id)
        run = await Run.objects.aget(pk=accepted["run"])
        assert run.status == "succeeded"
        assert frames[-1]["data"]["status"] == "succeeded"
    finally:
        server.stop()
