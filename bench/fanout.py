"""Scenario 3, no silent loss: a burst of events to 1, 10 and 100 sockets on one
session; every socket must end with exactly the stored transcript.

Sockets cannot tell a frame the layer brought from one the consumer refilled from
the database, so on the Redis stack a separate probe measures the layer alone: it
joins K plain layer channels to the session's group and counts the events that
reached each channel live, while a socket drives the same burst.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.agents import FLOOD
from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.wire import open_session, read_run, send_message, stored

PROBE_QUIET = 3.0  # seconds of silence after which a probe channel stops listening
CONNECT_AT_ONCE = 50


def client_burst(params: dict[str, Any]) -> dict[str, Any]:
    """K sockets on one session; one sends the burst; compare each with the store."""
    from bench.fixtures import new_sessions, stored_envelopes, user_with_token

    user, token = user_with_token("fanout")
    (session,) = new_sessions(user, FLOOD, 1)
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def connect():
        async with gate:
            return await open_session(params["port"], session, token)

    async def load() -> list[list[dict]]:
        sockets = await asyncio.gather(
            *(connect() for _ in range(params["subscribers"]))
        )
        try:
            await send_message(sockets[0], str(params["events"]))
            runs = await asyncio.gather(*(read_run(ws) for ws in sockets))
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))
        return [[f for _, f in stored(run)] for run in runs]

    received = asyncio.run(load())
    transcript = stored_envelopes(session)
    return {
        "exact": sum(frames == transcript for frames in received),
        "subscribers": len(received),
        "stored": len(transcript),
    }


def client_probe(params: dict[str, Any]) -> dict[str, Any]:
    """Fraction of the burst's events that reached K layer channels live."""
    from channels.layers import get_channel_layer

    from bench.fixtures import new_sessions, stored_envelopes, user_with_token
    from conversations.layer import session_group

    user, token = user_with_token("probe")
    (session,) = new_sessions(user, FLOOD, 1)

    async def listen(layer, channel: str) -> set[int]:
        seqs: set[int] = set()
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), PROBE_QUIET)
            except TimeoutError:
                return seqs
            seqs.update(f["seq"] for f in message.get("frames", []) if "seq" in f)

    async def load() -> list[set[int]]:
        layer = get_channel_layer()
        channels = [await layer.new_channel() for _ in range(params["subscribers"])]
        for channel in channels:
            await layer.group_add(session_group(session), channel)
        listeners = [asyncio.create_task(listen(layer, c)) for c in channels]
        ws = await open_session(params["port"], session, token)
        try:
            await send_message(ws, str(params["events"]))
            await read_run(ws)
        finally:
            await ws.close()
        return await asyncio.gather(*listeners)

    heard = asyncio.run(load())
    total = len(stored_envelopes(session))
    return {"live": [len(seqs) / total for seqs in heard], "stored": total}


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    label = f"{stack.name} daphne"
    with server_for(stack) as server:
        for k in sizes.subscribers:
            params = {
                "port": server.port,
                "events": sizes.burst_events,
                "subscribers": k,
            }
            raw = run_client(stack, "fanout.burst", params)
            report.add(
                Row(
                    "3 no silent loss",
                    label,
                    f"{sizes.burst_events:,} events to {k} sockets: exact transcripts",
                    f"{raw['exact']}/{raw['subscribers']} ({raw['stored']:,} stored)",
                    "all",
                    raw["exact"] == raw["subscribers"],
                )
            )
            if stack.redis_url:
                probe = run_client(stack, "fanout.probe", params)
                live = probe["live"]
                report.add(
                    Row(
                        "3 no silent loss",
                        label,
                        f"layer alone, {k} channels: live share (anchor 70/26/9%)",
                        f"{100 * sum(live) / len(live):.0f}% mean, "
                        f"{100 * min(live):.0f}% min",
                    )
                )
