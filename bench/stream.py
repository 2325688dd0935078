"""Scenario 1, store and stream: events/s through the full path, beside the naive
path (one transaction per event) and a bare socket that stores nothing.

All three paths are served by the same server process (bench.asgi) and measured
in turn within each repeat, so the ratios compare like with like even when the
shared machine's speed drifts. Rates are counted at the client: stored events
received over the time from sending the message to receiving `run_finished`.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bench.agents import FLOOD
from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.stats import spread, summary
from bench.wire import READ_LIMIT, open_session, read_run, send_message, stored

TARGET_RATE = 8_000
TARGET_NAIVE_RATIO = 5.0
TARGET_CONCURRENT_RATIO = 0.9


async def full_path(port: int, token: str, sessions: list[str], events: int) -> dict:
    """Flood runs on `sessions` at once; aggregate stored events/s and the frames."""
    sockets = [await open_session(port, s, token) for s in sessions]
    try:
        start = time.perf_counter()
        await asyncio.gather(*(send_message(ws, str(events)) for ws in sockets))
        runs = await asyncio.gather(*(read_run(ws) for ws in sockets))
        elapsed = time.perf_counter() - start
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
    frames = [[f for _, f in stored(run)] for run in runs]
    return {"rate": sum(map(len, frames)) / elapsed, "frames": frames}


async def comparison_path(port: int, path: str, session: str, events: int) -> float:
    """Frames/s of `/bench/bare/` or `/bench/naive/` (bench.asgi)."""
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/bench/{path}/?n={events}&session={session}"
    async with connect(url, max_size=None) as ws:
        start = time.perf_counter()
        async with asyncio.timeout(READ_LIMIT):
            for _ in range(events):
                json.loads(await ws.recv())
        return events / (time.perf_counter() - start)


def client_flood(params: dict[str, Any]) -> dict[str, Any]:
    """Interleaved repeats of: one run and N runs at once (in turns), the naive
    path, the bare path."""
    from bench.fixtures import new_sessions, stored_envelopes, user_with_token

    port, repeats = params["port"], params["repeats"]
    user, token = user_with_token("flood")
    per_repeat = 1 + params["concurrent_runs"]
    sessions = new_sessions(user, FLOOD, repeats * per_repeat + 1)
    naive_session = sessions.pop()
    result: dict[str, list] = {"single": [], "naive": [], "bare": [], "many": []}
    checked: list[tuple[str, list[dict]]] = []

    async def one_run(session: str) -> None:
        single = await full_path(port, token, [session], params["flood_events"])
        result["single"].append(single["rate"])
        checked.append((session, single["frames"][0]))

    async def many_runs(mine: list[str]) -> None:
        many = await full_path(port, token, mine, params["concurrent_events"])
        result["many"].append(many["rate"])
        checked.extend(zip(mine, many["frames"], strict=True))

    async def measure() -> None:
        for r in range(repeats):
            mine = sessions[r * per_repeat : (r + 1) * per_repeat]
            # One run and N runs side by side, their order swapped every repeat,
            # so the machine's drift does not favour either in the ratio.
            pair = [one_run(mine[0]), many_runs(mine[1:])]
            for step in pair if r % 2 == 0 else reversed(pair):
                await step
            result["naive"].append(
                await comparison_path(
                    port, "naive", naive_session, params["naive_events"]
                )
            )
            result["bare"].append(
                await comparison_path(
                    port, "bare", naive_session, params["bare_events"]
                )
            )

    asyncio.run(measure())
    result["transcripts_ok"] = sum(
        frames == stored_envelopes(session) for session, frames in checked
    )
    result["transcripts"] = len(checked)
    return result


def run(
    report: Report, stack: Stack, sizes: Sizes, kind: str = "daphne"
) -> dict[str, float]:
    """Measure on one server of `kind`; add rows; return median rates for scenario 7."""
    with server_for(stack, kind) as server:
        raw = run_client(
            stack,
            "stream.flood",
            {
                "port": server.port,
                "repeats": sizes.repeats,
                "flood_events": sizes.flood_events,
                "naive_events": sizes.naive_events,
                "bare_events": sizes.bare_events,
                "concurrent_runs": sizes.concurrent_runs,
                "concurrent_events": sizes.concurrent_events,
            },
        )
    label = f"{stack.name} {kind}"
    single = summary(raw["single"])["median"]
    naive_ratios = [s / n for s, n in zip(raw["single"], raw["naive"], strict=True)]
    many_ratios = [m / s for s, m in zip(raw["single"], raw["many"], strict=True)]
    bare_ratios = [s / b for s, b in zip(raw["single"], raw["bare"], strict=True)]
    on_pg = stack.database_url.startswith("postgres")
    scenario = "1 store+stream" if kind == "daphne" else "7 server choice"
    report.add(
        Row(
            scenario,
            label,
            f"one run of {sizes.flood_events:,} events, events/s",
            spread(raw["single"]),
            f">= {TARGET_RATE:,}/s" if on_pg else "",
            (single >= TARGET_RATE) if on_pg else None,
        ),
        Row(
            scenario, label, "naive path (1 txn/event), events/s", spread(raw["naive"])
        ),
        Row(
            scenario,
            label,
            "full / naive (same repeat)",
            spread(naive_ratios, "{:.1f}x"),
            f">= {TARGET_NAIVE_RATIO:.0f}x",
            summary(naive_ratios)["median"] >= TARGET_NAIVE_RATIO,
        ),
        Row(scenario, label, "bare socket, no storing, frames/s", spread(raw["bare"])),
        Row(scenario, label, "full / bare", spread(bare_ratios, "{:.2f}x")),
        Row(
            scenario,
            label,
            f"{sizes.concurrent_runs} runs at once, aggregate events/s",
            spread(raw["many"]),
        ),
        Row(
            scenario,
            label,
            f"{sizes.concurrent_runs} runs / one run (aggregate)",
            spread(many_ratios, "{:.2f}x"),
            f">= {TARGET_CONCURRENT_RATIO}x",
            summary(many_ratios)["median"] >= TARGET_CONCURRENT_RATIO,
        ),
        Row(
            scenario,
            label,
            "received transcripts equal to stored",
            f"{raw['transcripts_ok']}/{raw['transcripts']}",
            "all",
            raw["transcripts_ok"] == raw["transcripts"],
        ),
    )
    return {
        "single": single,
        "many": summary(raw["many"])["median"],
    }
