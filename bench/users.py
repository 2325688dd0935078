"""Scenario 2, many users at once: N sessions (each its own user) connect, then all
send "add 2 and 2" to the math agent at the same moment and read their whole run.

Checks that nothing errs, that no socket sees another session's or run's frames,
and that each socket gets its stored transcript's seqs once each; delivery latency
is each stored event's `ts` to its arrival at the client (one machine, one clock).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.stats import percentile, spread, summary
from bench.wire import event_time, open_session, read_run, send_message, stored

TARGET_P99_MS = 250.0
MESSAGE = "add 2 and 2"
CONNECT_AT_ONCE = 100  # handshakes in flight at a time while the sockets open


def many_users(count: int) -> list[tuple[str, str]]:
    """`count` users, each with a token and one math session: (session, token)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from conversations.models import ChatSession

    stamp = time.monotonic_ns()
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"user-{stamp}-{n}") for n in range(count)]
    )
    tokens = Token.objects.bulk_create(
        [Token(user=u, key=Token.generate_key()) for u in users]
    )
    sessions = ChatSession.objects.bulk_create(
        [ChatSession(owner=u, agent="math") for u in users]
    )
    return [(str(s.id), t.key) for s, t in zip(sessions, tokens, strict=True)]


def check_run(session: str, frames: list[tuple[float, dict]]) -> dict[str, Any]:
    """Errors, cross-talk and latencies of one socket's run."""
    acks = [f for _, f in frames if f.get("type") == "ack"]
    run = acks[0]["run"] if acks else None
    events = stored(frames)
    errors = sum(
        f.get("type") in {"rejected", "error"}
        or (f.get("type") == "run_finished" and f["data"]["status"] != "succeeded")
        for _, f in frames
    )
    foreign = sum(
        f["session"] != session or (f["run"] is not None and f["run"] != run)
        for _, f in events
    )
    return {
        "errors": errors + (run is None),
        "foreign": foreign,
        "seqs": [f["seq"] for _, f in events],
        "latencies": [(at - event_time(f)) * 1000 for at, f in events],
    }


def client_burst(params: dict[str, Any]) -> dict[str, Any]:
    from conversations.models import Event

    port, count = params["port"], params["users"]
    pairs = many_users(count)
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def connect(session: str, token: str):
        async with gate:
            return await open_session(port, session, token)

    async def load() -> tuple[list, float, float]:
        start = time.perf_counter()
        sockets = await asyncio.gather(*(connect(s, t) for s, t in pairs))
        opened = time.perf_counter() - start
        try:
            start = time.perf_counter()
            await asyncio.gather(*(send_message(ws, MESSAGE) for ws in sockets))
            runs = await asyncio.gather(*(read_run(ws) for ws in sockets))
            elapsed = time.perf_counter() - start
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))
        return runs, opened, elapsed

    runs, opened, elapsed = asyncio.run(load())
    checks = [check_run(s, frames) for (s, _), frames in zip(pairs, runs, strict=True)]
    stored_seqs: dict[str, list[int]] = {s: [] for s, _ in pairs}
    for session, seq in (
        Event.objects.filter(session_id__in=list(stored_seqs))
        .order_by("session_id", "seq")
        .values_list("session_id", "seq")
    ):
        stored_seqs[str(session)].append(seq)
    latencies = [ms for c in checks for ms in c["latencies"]]
    return {
        "errors": sum(c["errors"] for c in checks),
        "foreign": sum(c["foreign"] for c in checks),
        "seq_mismatch": sum(
            c["seqs"] != stored_seqs[s] for (s, _), c in zip(pairs, checks, strict=True)
        ),
        "events": len(latencies),
        "latency": summary(latencies),
        "connect_s": opened,
        "elapsed_s": elapsed,
    }


def run(
    report: Report, stack: Stack, sizes: Sizes, kind: str = "daphne"
) -> dict[str, float]:
    """Measure on one server of `kind`; add rows; return p99 for scenario 7."""
    results = []
    for _ in range(sizes.users_repeats):
        with server_for(stack, kind) as server:
            results.append(
                run_client(
                    stack, "users.burst", {"port": server.port, "users": sizes.users}
                )
            )
    label = f"{stack.name} {kind}"
    scenario = "2 many users" if kind == "daphne" else "7 server choice"
    problems = sum(r["errors"] + r["foreign"] + r["seq_mismatch"] for r in results)
    p99s = [r["latency"]["p99"] for r in results]
    p99 = percentile(p99s, 50)
    report.add(
        Row(
            scenario,
            label,
            f"{sizes.users} sessions: errors / cross-talk / seq mismatches",
            " / ".join(
                str(sum(r[k] for r in results))
                for k in ("errors", "foreign", "seq_mismatch")
            ),
            "0 / 0 / 0",
            problems == 0,
        ),
        Row(
            scenario,
            label,
            "delivery latency ts->client p50, ms",
            spread([r["latency"]["p50"] for r in results], "{:.0f}"),
        ),
        Row(
            scenario,
            label,
            "delivery latency ts->client p99, ms",
            spread(p99s, "{:.0f}"),
            f"< {TARGET_P99_MS:.0f} ms",
            p99 < TARGET_P99_MS,
        ),
        Row(
            scenario,
            label,
            f"all {sizes.users} runs done / sockets opened, s",
            f"{summary([r['elapsed_s'] for r in results])['median']:.2f} / "
            f"{summary([r['connect_s'] for r in results])['median']:.2f}",
        ),
    )
    return {"p99": p99, "elapsed": summary([r["elapsed_s"] for r in results])["median"]}
