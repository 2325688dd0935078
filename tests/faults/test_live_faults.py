"""Live delivery under faults, against real daphne processes and real sockets."""

import asyncio
import json
import signal

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed

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
from tests.slow_agents import FLOOD_EVENTS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def test_sigterm_closes_sockets_with_1012_and_clients_resume_elsewhere(
    server_env, alice, alice_token
):
    session = await database_sync_to_async(new_session)(alice, "math")
    env = {
        **server_env,
        "AGENT_STEP_DELAY": "0.3",
        "RUN_STALE_SECONDS": "1",
        "RUN_HEARTBEAT_SECONDS": "0.3",
        "RUN_SWEEP_SECONDS": "0.5",
    }
    first = ServerProcess(env=env).start()
    second = ServerProcess(env=env).start()
    try:
        ws, _ = await open_live(first, session.id, alice_token)
        await ws.send(
            json.dumps({"type": "message", "text": "what is ((3 + 4) * 5) - 6?"})
        )
        received = [json.loads(await ws.recv()) for _ in range(4)]
        first.signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                received.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        assert closed.value.rcvd is not None, "the server must send a close frame"
        assert closed.value.rcvd.code in {1001, 1012}

        last = max(event_seqs(received))
        ws2, _ = await open_live(second, session.id, alice_token, after=last)
        rest = await frames_until(ws2, is_finished)
        seqs = event_seqs(received + rest)
        assert seqs == await stored_seqs(session.id)
        assert rest[-1]["data"]["status"] == "interrupted"
        await ws2.close()
    finally:
        first.stop()
        second.stop()


async def test_two_megabyte_frame_is_refused_without_a_memory_spike(
    live_server_process, alice, alice_token
):
    session = await database_sync_to_async(new_session)(alice, "math")
    before = live_server_process.rss_kb()
    ws, _ = await open_live(live_server_process, session.id, alice_token, max_size=None)
    # The server may close while the client is still sending: the send is part
    # of what may fail, not a step before it.
    with pytest.raises(ConnectionClosed) as closed:
        await ws.send(json.dumps({"type": "message", "text": "x" * (2 * 1024 * 1024)}))
        await asyncio.wait_for(ws.recv(), 10)
    # daphne refuses a message over its 1 MB limit with the closing handshake.
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert live_server_process.rss_kb() - before < 20_000
    ws, _ = await open_live(live_server_process, session.id, alice_token)
    await ws.send(json.dumps({"type": "message", "text": "add 2 and 2"}))
    frames = await frames_until(ws, is_finished)
    assert frames[-1]["data"]["status"] == "succeeded"
    await ws.close()


async def test_client_that_never_reads_keeps_server_memory_bounded_and_others_unaffected(
    live_server_process, alice, bob, alice_token, bob_token
):
    server = live_server_process
    flood = await database_sync_to_async(new_session)(alice, "flood")
    other = await database_sync_to_async(new_session)(bob, "math")
    before = server.rss_kb()
    # A tiny receive window: the kernel stops taking data, the server must cope.
    sleeper, _ = await open_live(
        server, flood.id, alice_token, max_queue=1, max_size=2**16
    )
    await sleeper.send(json.dumps({"type": "message", "text": "flood"}))
    await asyncio.sleep(0.5)
    ws, _ = await open_live(server, other.id, bob_token)
    await ws.send(json.dumps({"type": "message", "text": "add 2 and 2"}))
    frames = await asyncio.wait_for(frames_until(ws, is_finished), 30)
    assert frames[-1]["data"]["status"] == "succeeded"
    while len(await stored_seqs(flood.id)) < FLOOD_EVENTS + 4:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    growth_mb = (server.rss_kb() - before) / 1024
    assert growth_mb < 64, f"server grew {growth_mb:.0f} MB for one stalled reader"
    await ws.close()
    await sleeper.close()


async def test_reconnecting_client_sees_the_whole_run_started_through_rest(
    live_server_process, alice, alice_token
):
    session = await database_sync_to_async(new_session)(alice, "math")
    ws, hello = await open_live(live_server_process, session.id, alice_token)
    accepted = await asyncio.to_thread(
        post_message, live_server_process, session.id, alice_token, "add 2 and 2"
    )
    frames = await frames_until(ws, is_finished)
    assert frames[0]["seq"] == accepted["seq"] == hello["last_seq"] + 1
    assert event_seqs(frames) == await stored_seqs(session.id)
    await ws.close()
