"""How big each scenario is in quick mode (`make bench`) and full mode (FULL=1).

Quick mode keeps the targets' own sizes wherever they are cheap (500 sessions,
2,000 events, 10,000-event sessions, 2,000 idle sockets) and trims repeats and
stream lengths, so it finishes in about five minutes on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    repeats: int  # of the store-and-stream comparison
    flood_events: int  # one full-path run
    naive_events: int  # the naive path is slow: fewer events, same rate
    bare_events: int
    concurrent_runs: int
    concurrent_events: int  # per run, when `concurrent_runs` run at once
    users: int  # scenario 2 sessions
    users_repeats: int
    burst_events: int  # scenario 3
    subscribers: tuple[int, ...]
    big_events: int  # scenario 4
    big_sessions: int
    big_repeats: int
    idle_sockets: int  # scenario 5
    latency_messages: int  # scenario 6, sequential messages
    cross_rate: int  # scenario 6, events/s across instances
    cross_seconds: float
    profile_events: int
    uvicorn_on_embedded: bool
    approvals_pending: int = 10_000  # scenario 8
    approval_rounds: int = 30
    agui_steps: int = 1_500  # scenario 10: one long run, ~6,000 stored events
    agui_repeats: int = 5  # rounds of each endpoint, alternating
    agui_messages: int = 100  # short runs of each endpoint, for latency
    mcp_calls: int = 20  # scenario 11: tool calls per run, one per model turn
    mcp_runs: int = 10  # runs at once
    mcp_repeats: int = 5  # rounds of each tool, alternating
    search_events: int = 1_000_000  # scenario 12: entries in the index
    search_queries: int = 50  # timed searches of each word
    budget_admissions: int = 200  # admissions with and without budgets


QUICK = Sizes(
    repeats=5,
    flood_events=10_000,
    naive_events=1_500,
    bare_events=20_000,
    concurrent_runs=10,
    concurrent_events=3_000,
    users=500,
    users_repeats=1,
    burst_events=2_000,
    subscribers=(1, 10, 100),
    big_events=10_000,
    big_sessions=10_000,
    big_repeats=15,
    idle_sockets=2_000,
    latency_messages=100,
    cross_rate=500,
    cross_seconds=3.0,
    profile_events=20_000,
    uvicorn_on_embedded=False,
)

FULL = Sizes(
    repeats=7,
    flood_events=30_000,
    naive_events=2_000,
    bare_events=60_000,
    concurrent_runs=10,
    concurrent_events=10_000,
    users=500,
    users_repeats=3,
    burst_events=2_000,
    subscribers=(1, 10, 100),
    big_events=10_000,
    big_sessions=10_000,
    big_repeats=50,
    idle_sockets=2_000,
    latency_messages=300,
    cross_rate=500,
    cross_seconds=10.0,
    profile_events=50_000,
    uvicorn_on_embedded=True,
    approval_rounds=100,
    agui_steps=5_000,
    agui_repeats=7,
    agui_messages=300,
    mcp_repeats=9,
)
