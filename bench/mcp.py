"""Scenario 11, MCP tools: the published `mcp-server-time` over stdio against
the same function called in process.

Two benchmark agents call `get_current_time` once per model turn, N times a
run: `bench-clock-local` through the in-process tool, `bench-clock-mcp`
through the server's connection. In alternating rounds, `runs` runs of each
start at once over real sockets. Per call, the `tool_result`'s duration (the
engine's own clock around the tool) gives the latency MCP adds; per round, the
calls of all runs over the wall time from the first message to the last
`run_finished` gives calls/s. Afterwards the server's child processes are
counted: one time server, however many runs used it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.agents import CLOCK_LOCAL, CLOCK_MCP
from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.stats import spread, summary
from bench.wire import open_session, read_run, send_message


def client_compare(params: dict[str, Any]) -> dict[str, Any]:
    from bench.fixtures import new_sessions, user_with_token

    user, token = user_with_token("mcp")
    calls, runs = params["calls"], params["runs"]
    out: dict[str, Any] = {
        kind: {"durations": [], "rate": []} for kind in (CLOCK_LOCAL, CLOCK_MCP)
    }
    checked = {"runs": 0, "exact": 0}
    rounds = params["repeats"] + 1  # and a warm-up round of the MCP agent
    unused = {agent: iter(new_sessions(user, agent, runs * rounds)) for agent in out}

    async def round_of(agent: str) -> None:
        sessions = [next(unused[agent]) for _ in range(runs)]
        sockets = [await open_session(params["port"], s, token) for s in sessions]
        try:
            start = time.time()
            await asyncio.gather(*(send_message(ws, str(calls)) for ws in sockets))
            results = await asyncio.gather(*(read_run(ws) for ws in sockets))
            elapsed = max(at for frames in results for at, _ in frames) - start
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))
        for frames in results:
            outcomes = [f for _, f in frames if f.get("type") == "tool_result"]
            out[agent]["durations"] += [f["data"]["duration_ms"] for f in outcomes]
            finished = frames[-1][1]["data"]["status"] == "succeeded"
            checked["runs"] += 1
            checked["exact"] += finished and len(outcomes) == calls
        out[agent]["rate"].append(runs * calls / elapsed)

    async def load() -> None:
        await round_of(CLOCK_MCP)  # warm-up: the server starts on first use
        for kind in out.values():
            kind["durations"].clear()
            kind["rate"].clear()
        checked.update(runs=0, exact=0)
        for _ in range(params["repeats"]):
            await round_of(CLOCK_LOCAL)
            await round_of(CLOCK_MCP)

    asyncio.run(load())
    return {**out, **checked}


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    params = {
        "calls": sizes.mcp_calls,
        "runs": sizes.mcp_runs,
        "repeats": sizes.mcp_repeats,
    }
    with server_for(stack) as server:
        raw = run_client(stack, "mcp.compare", {**params, "port": server.port})
        servers = [c for c in server.children().values() if "mcp-server-time" in c]
    local, remote = raw[CLOCK_LOCAL], raw[CLOCK_MCP]
    one, over = summary(local["durations"]), summary(remote["durations"])
    rounds = [m / n for m, n in zip(remote["rate"], local["rate"], strict=True)]
    total_runs = raw["runs"] + sizes.mcp_runs  # with the warm-up round

    def row(what: str, figure: str, target: str = "", met: bool | None = None):
        return Row("11 mcp tools", f"{stack.name} daphne", what, figure, target, met)

    report.add(
        row(
            "one get_current_time call, in process; over MCP stdio: p50 / p99 ms "
            f"({over['n']:,} calls each)",
            f"{one['p50']:.2f} / {one['p99']:.2f}; {over['p50']:.2f} / {over['p99']:.2f}",
        ),
        row(
            "latency MCP adds to a call: p50; p99 ms",
            f"{over['p50'] - one['p50']:.2f}; {over['p99'] - one['p99']:.2f}",
        ),
        row(
            f"calls/s with {sizes.mcp_runs} runs at once ({sizes.mcp_calls} calls "
            "each): in process; MCP",
            f"{spread(local['rate'], '{:,.0f}')}; {spread(remote['rate'], '{:,.0f}')}",
        ),
        row("MCP / in process, calls/s (same round)", spread(rounds, "{:.2f}x")),
        row(
            f"time server processes of the server process after {total_runs} runs",
            str(len(servers)),
            "1 (one per configured server)",
            len(servers) == 1,
        ),
        row(
            "runs that succeeded with every call's result",
            f"{raw['exact']}/{raw['runs']}",
            "all",
            raw["exact"] == raw["runs"],
        ),
    )
