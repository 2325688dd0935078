"""Scenario 6, latency: message sent -> first event back on one server, and a run
on instance B watched through a socket on instance A (PostgreSQL + Redis).

One message at a time, so this is the path's own latency, not queueing; the
cross-instance case paces its events (bench-paced) so the layer carries a known
rate, and measures each event's stored `ts` to its arrival on A.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.agents import PACED
from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.stats import summary
from bench.wire import event_time, open_session, read_run, send_message, stored
from tests.live_client import post_message_to

TARGET_FIRST_P50_MS = 10.0
TARGET_CROSS_P99_MS = 50.0
MESSAGE = "add 2 and 2"


def client_first(params: dict[str, Any]) -> dict[str, Any]:
    """Sequential messages, each on its own session's socket (a fresh session
    each, so no run is in progress): ms to the stored user_message, the ack and
    run_started."""
    from bench.fixtures import new_sessions, user_with_token

    user, token = user_with_token("latency")
    sessions = new_sessions(user, "math", params["messages"])
    timings: dict[str, list[float]] = {"first": [], "ack": [], "run_started": []}

    async def load() -> None:
        for session in sessions:
            ws = await open_session(params["port"], session, token)
            try:
                sent = await send_message(ws, MESSAGE)
                frames = await read_run(ws)
            finally:
                await ws.close()
            first = next(at for at, f in stored(frames))
            ack = next(at for at, f in frames if f.get("type") == "ack")
            started = next(at for at, f in frames if f.get("type") == "run_started")
            for key, at in (("first", first), ("ack", ack), ("run_started", started)):
                timings[key].append((at - sent) * 1000)

    asyncio.run(load())
    return {key: summary(values) for key, values in timings.items()}


def client_cross(params: dict[str, Any]) -> dict[str, Any]:
    """Socket on A, message posted to B; per-event ts -> arrival on A."""
    from bench.fixtures import new_sessions, stored_envelopes, user_with_token

    user, token = user_with_token("cross")
    (session,) = new_sessions(user, PACED, 1)
    text = f"{params['rate']} {params['seconds']}"

    async def load() -> list[tuple[float, dict]]:
        ws = await open_session(params["port_a"], session, token)
        try:
            server_b = f"http://127.0.0.1:{params['port_b']}"
            await asyncio.to_thread(post_message_to, server_b, session, token, text)
            return await read_run(ws)
        finally:
            await ws.close()

    frames = stored(asyncio.run(load()))
    latencies = [(at - event_time(f)) * 1000 for at, f in frames]
    span = frames[-1][0] - frames[0][0]
    return {
        "latency": summary(latencies),
        "rate": len(frames) / span if span else 0.0,
        "complete": [f for _, f in frames] == stored_envelopes(session),
    }


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    label = f"{stack.name} daphne"
    with server_for(stack) as server:
        first = run_client(
            stack,
            "latency.first",
            {"port": server.port, "messages": sizes.latency_messages},
        )
    report.add(
        Row(
            "6 latency",
            label,
            f"message -> first event (user_message), {sizes.latency_messages} msgs: "
            "p50 / p99 ms",
            f"{first['first']['p50']:.1f} / {first['first']['p99']:.1f}",
            f"p50 < {TARGET_FIRST_P50_MS:.0f} ms",
            first["first"]["p50"] < TARGET_FIRST_P50_MS,
        ),
        Row(
            "6 latency",
            label,
            "message -> ack / -> run_started, p50 ms",
            f"{first['ack']['p50']:.1f} / {first['run_started']['p50']:.1f}",
        ),
    )
    if not stack.redis_url:
        return
    with server_for(stack) as a, server_for(stack) as b:
        cross = run_client(
            stack,
            "latency.cross",
            {
                "port_a": a.port,
                "port_b": b.port,
                "rate": sizes.cross_rate,
                "seconds": sizes.cross_seconds,
            },
        )
    report.add(
        Row(
            "6 latency",
            f"{stack.name} 2x daphne",
            f"run on B, socket on A, {cross['rate']:.0f} events/s: p50 / p99 ms",
            f"{cross['latency']['p50']:.1f} / {cross['latency']['p99']:.1f} "
            f"(max {cross['latency']['max']:.0f})",
            f"p99 < {TARGET_CROSS_P99_MS:.0f} ms, complete",
            cross["latency"]["p99"] < TARGET_CROSS_P99_MS and cross["complete"],
        )
    )
