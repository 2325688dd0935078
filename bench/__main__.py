"""`python -m bench [--full]`: run the scenarios, print the table, write the doc.

Runs on the embedded stack (SQLite + in-memory layer) and, when they answer, on
PostgreSQL + Redis; scenario 7 repeats 1 and 2 under uvicorn. Each server and
each load client is its own process; this one only orchestrates.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time
from pathlib import Path

from bench import (
    agui,
    approvals,
    bigsession,
    fanout,
    forks,
    idle,
    latency,
    mcp,
    profile,
    search,
    stream,
    users,
)
from bench.analysis import INTRO, analysis
from bench.calibration import bracketed
from bench.report import Report, Row, table_text, write
from bench.servers import EMBEDDED, PROJECT_DIR, SERVICES, Stack, prepare
from bench.servers import services_available as services_up
from bench.sizes import FULL, QUICK, Sizes

SCENARIOS = (
    "stream",
    "users",
    "fanout",
    "big",
    "idle",
    "latency",
    "uvicorn",
    "profile",
    "approvals",
    "forks",
    "agui",
    "mcp",
    "search",
)
# Tiny sizes for the test suite's smoke test: the code runs, the figures mean nothing.
SMOKE = dataclasses.replace(
    QUICK,
    repeats=1,
    flood_events=300,
    naive_events=50,
    bare_events=300,
    concurrent_runs=2,
    concurrent_events=100,
    users=5,
    burst_events=100,
    subscribers=(1, 3),
    big_events=200,
    big_sessions=20,
    big_repeats=2,
    idle_sockets=10,
    latency_messages=3,
    cross_seconds=0.5,
    profile_events=300,
    approvals_pending=20,
    approval_rounds=2,
    agui_steps=20,
    agui_repeats=2,
    agui_messages=3,
    mcp_calls=3,
    mcp_runs=2,
    mcp_repeats=1,
    search_events=2_000,
    search_queries=3,
    budget_admissions=3,
)


def raise_file_limit() -> None:
    """Servers inherit this limit: 2,000 sockets need more than the usual 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20_000)), hard))


def compare_servers(
    report: Report, stack: Stack, sizes: Sizes, daphne: dict[str, float]
) -> None:
    """Scenario 7: 1 and 2 under uvicorn, ratios against daphne's figures."""
    flood = stream.run(report, stack, sizes, kind="uvicorn")
    burst = users.run(report, stack, sizes, kind="uvicorn")
    label = f"{stack.name} uvicorn/daphne"
    report.add(
        Row(
            "7 server choice",
            label,
            f"one run events/s; {sizes.concurrent_runs} runs aggregate (ratio)",
            f"{flood['single'] / daphne['single']:.2f}x; "
            f"{flood['many'] / daphne['many']:.2f}x",
        ),
        Row(
            "7 server choice",
            label,
            f"{sizes.users} users: p99 latency; all done time (ratio)",
            f"{burst['p99'] / daphne['p99']:.2f}x; "
            f"{burst['elapsed'] / daphne['elapsed']:.2f}x",
        ),
    )


def run_stack(
    report: Report, stack: Stack, sizes: Sizes, only: set[str], full: bool
) -> None:
    print(f"\n== {stack.name}: preparing a fresh database", flush=True)
    prepare(stack)
    services = bool(stack.redis_url)
    daphne: dict[str, float] = {}

    def phase(scenario: str):
        return bracketed(report, stack.name, scenario)

    if "stream" in only:
        with phase("1 store+stream"):
            daphne.update(stream.run(report, stack, sizes))
    if "users" in only:
        with phase("2 many users"):
            daphne.update(users.run(report, stack, sizes))
    if "fanout" in only:
        with phase("3 no silent loss"):
            fanout.run(report, stack, sizes)
    if "big" in only:
        with phase("4 big sessions"):
            bigsession.run(report, stack, sizes)
    if "idle" in only and (services or full):
        with phase("5 idle connections"):
            idle.run(report, stack, sizes.idle_sockets)
    if "latency" in only:
        with phase("6 latency"):
            latency.run(report, stack, sizes)
    wants_uvicorn = services or sizes.uvicorn_on_embedded
    if "uvicorn" in only and wants_uvicorn and {"single", "p99"} <= daphne.keys():
        with phase("7 server choice"):
            compare_servers(report, stack, sizes, daphne)
    if "approvals" in only:
        with phase("8 approvals"):
            approvals.run(report, stack, sizes)
    if "forks" in only:
        with phase("9 forks"):
            forks.run(report, stack, sizes)
    if "agui" in only:
        with phase("10 agui vs sse"):
            agui.run(report, stack, sizes)
    if "mcp" in only:
        with phase("11 mcp tools"):
            mcp.run(report, stack, sizes)
    if "search" in only:
        with phase("12 search, budgets"):
            search.run(report, stack, sizes)
    if "profile" in only and services:
        text = profile.run(report, stack, sizes)
        report.note(
            "Server profile (pyinstrument, one flood run, PostgreSQL + Redis)",
            f"```\n{text}\n```",
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--full", action="store_true", help="longer runs, more repeats")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (tests)")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help="comma-separated: " + ", ".join(SCENARIOS),
    )
    parser.add_argument(
        "--stacks", default="embedded,services", help="embedded, services or both"
    )
    parser.add_argument("--sqlite", type=Path, help="SQLite file of the embedded stack")
    parser.add_argument(
        "--output", type=Path, default=PROJECT_DIR / "docs" / "benchmarks.md"
    )
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL if args.full else QUICK
    only = set(args.only.split(","))
    raise_file_limit()
    stacks = []
    if "embedded" in args.stacks:
        stacks.append(
            Stack(EMBEDDED.name, f"sqlite:///{args.sqlite}")
            if args.sqlite
            else EMBEDDED
        )
    if "services" in args.stacks:
        if services_up():
            stacks.append(SERVICES)
        else:
            print("PostgreSQL or Redis does not answer on 127.0.0.1: embedded only")
    report = Report(full=args.full)
    start = time.monotonic()
    for stack in stacks:
        run_stack(report, stack, sizes, only, args.full)
    report.seconds = time.monotonic() - start
    print("\n" + table_text(report.rows))
    report.note("Findings", analysis())
    write(report, INTRO, args.output)
    print(f"\nwrote {args.output} in {report.seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
