"""Where the time goes: one flood run on PostgreSQL under pyinstrument, and the
cost of one storage transaction by batch size.

pyinstrument samples the server's main thread, which is the event loop: agent,
recorder, layer, consumer, JSON and the socket. The database writes run on pool
threads it does not sample, so their cost is measured directly: `write_batch`
(one transaction: counter bump, COPY, run update) timed per batch size.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.stats import summary

BATCHES = (1, 10, 50, 200, 1000)
PROFILE_LINES = 70


def client_storage(params: dict[str, Any]) -> dict[str, Any]:
    """Events/s of `write_batch` by batch size, in-process on the stack's database."""
    from agents.events import Info
    from bench.fixtures import new_sessions, user_with_token
    from conversations.engine.storage import write_batch

    user, _ = user_with_token("storage")
    (session,) = new_sessions(user, "math", 1)
    out = {}
    for size in BATCHES:
        batch = [Info(f"event {n}") for n in range(size)]
        calls = max(3, params["events"] // size)
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            write_batch(session, None, batch)
            times.append(time.perf_counter() - start)
        out[str(size)] = size / summary(times)["median"]
    return out


def run(report: Report, stack: Stack, sizes: Sizes) -> str:
    """Add the storage rows; return the server profile's text for the doc."""
    rates = run_client(stack, "profile.storage", {"events": 2000})
    report.add(
        *(
            Row(
                "profile",
                f"{stack.name} in-process",
                f"write_batch, batches of {size}: events/s",
                f"{rate:,.0f}",
            )
            for size, rate in rates.items()
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.txt"
        with server_for(stack, profile_to=out) as server:
            run_client(
                stack,
                "stream.flood",
                {
                    "port": server.port,
                    "repeats": 1,
                    "flood_events": sizes.profile_events,
                    "naive_events": 1,
                    "bare_events": 1,
                    "concurrent_runs": 1,
                    "concurrent_events": 1,
                },
            )
        text = out.read_text() if out.exists() else ""
    if not text.strip():
        text = "(pyinstrument wrote no report: the server did not exit in time)"
    return "\n".join(text.splitlines()[:PROFILE_LINES])
