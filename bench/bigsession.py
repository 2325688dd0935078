"""Scenario 4, big sessions: a 10,000-event session and a user with 10,000
sessions, read the four ways the product reads them.

In-process, in a child process on the stack's database: the agent's context is
rebuilt by calling `load_history` + `history_messages` directly (what a run does,
minus the thread hop); the three pages are fetched with Django's test client
(full middleware, URL routing, auth, serialisation; no socket). Queries are
counted with CaptureQueriesContext on a small and a big case: a fixed count is the
same number for both.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from bench.report import Report, Row
from bench.servers import Stack, run_client
from bench.sizes import Sizes
from bench.stats import summary

TARGET_CONTEXT_MS = 100.0
TARGET_PAGE_MS = 50.0
STEPS_PER_RUN = 5  # thought, tool call, tool result each
EVENTS_PER_RUN = 4 + 3 * STEPS_PER_RUN  # plus message, start, final, finish


def fill_session(owner: Any, runs: int, state: bool = False) -> tuple[str, int]:
    """A session of `runs` finished math runs, stored as the engine stores them;
    with `state`, each run also writes one of ten session-state keys."""
    from django.db import transaction

    from agents.events import (
        Final,
        RunFinished,
        RunStarted,
        StateDelta,
        Thought,
        ToolCall,
        ToolResult,
        UserMessage,
    )
    from conversations.engine.storage import store_events
    from conversations.models import AgentState, ChatSession, Run

    session = ChatSession.objects.create(owner=owner, agent="math", title="big")
    for n in range(runs):
        steps = [UserMessage(f"question {n}"), RunStarted("math")]
        for k in range(STEPS_PER_RUN):
            steps += [
                Thought(f"step {k} of question {n}"),
                ToolCall(f"c{k}", "add", {"a": n, "b": k}),
                ToolResult(f"c{k}", "add", n + k, 0.1),
            ]
        if state:
            steps.append(StateDelta("session", {f"key{n % 10}": n}))
        steps += [Final(f"answer {n}"), RunFinished("succeeded", 12.5)]
        with transaction.atomic():
            run = Run.objects.create(session=session, status="succeeded", message="q")
            rows = store_events(session.id, run.id, steps)
            Run.objects.filter(pk=run.pk).update(first_seq=rows[0].seq)
            if state:
                AgentState.objects.update_or_create(
                    scope="session",
                    session=session,
                    key=f"key{n % 10}",
                    defaults={"agent": "math", "value": n},
                )
    last = ChatSession.objects.get(pk=session.pk).last_seq
    return str(session.id), last


def count_queries(fn) -> int:
    """Queries one call makes. Run with DEBUG on: with it off, the test client's
    request_started signal clears the query log mid-capture and hides them."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries.captured_queries)


def timed(fn, repeats: int) -> dict[str, float]:
    """Milliseconds per call over `repeats` (the caller has warmed it up)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return summary(times)


def client_measure(params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client, override_settings

    from agents.transcript import history_messages
    from bench.fixtures import new_sessions, user_with_token
    from conversations.stores import load_history

    repeats = params["repeats"]
    owner, token = user_with_token("big")
    staff, _ = user_with_token("staff", staff=True)
    many, many_token = user_with_token("many")
    few, few_token = user_with_token("few")
    runs = -(-params["events"] // EVENTS_PER_RUN)
    big, big_last = fill_session(owner, runs)
    small, small_last = fill_session(owner, 5)
    new_sessions(many, "math", params["sessions"])
    new_sessions(few, "math", 10)
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    admin = Client()
    admin.force_login(staff)

    def get(client: Client, url: str, **headers: str):
        def fetch() -> None:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")

        return fetch

    cases = {
        "context": (
            lambda: history_messages(load_history(small, small_last + 1)),
            lambda: history_messages(load_history(big, big_last + 1)),
        ),
        "page": (
            get(api, f"/api/sessions/{small}/events/?after=0&limit=100"),
            get(api, f"/api/sessions/{big}/events/?after={big_last // 2}&limit=100"),
        ),
        "list": (
            get(Client(), "/api/sessions/", Authorization=f"Token {few_token}"),
            get(Client(), "/api/sessions/", Authorization=f"Token {many_token}"),
        ),
        "admin": (
            get(admin, f"/admin/conversations/chatsession/{small}/change/"),
            get(admin, f"/admin/conversations/chatsession/{big}/change/"),
        ),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would have by now
            cursor.execute("ANALYZE")
    # The fixtures' objects are garbage a server would not hold: leave them out
    # of the collector's way while timing.
    gc.collect()
    gc.freeze()
    out: dict[str, Any] = {"events": big_last}
    for name, (small_case, big_case) in cases.items():
        # Timed first, under production settings: the template engine takes its
        # `debug` option from DEBUG when first used, and debug templates render
        # the admin page about half again slower.
        with override_settings(DEBUG=False):
            big_case()  # warm-up
            ms = timed(big_case, repeats)
        queries = [count_queries(small_case), count_queries(big_case)]
        out[name] = {"ms": ms, "queries": queries}
    return out


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    raw = run_client(
        stack,
        "bigsession.measure",
        {
            "events": sizes.big_events,
            "sessions": sizes.big_sessions,
            "repeats": sizes.big_repeats,
        },
        # DEBUG=1 so the admin's static files resolve without collectstatic and
        # queries are counted; the timing itself runs with DEBUG off.
        extra_env={"DEBUG": "1"},
    )
    label = f"{stack.name} in-process"
    what = {
        "context": (f"agent context of {raw['events']:,} events", TARGET_CONTEXT_MS),
        "page": ("transcript page (100 events) of it", TARGET_PAGE_MS),
        "list": (f"session list, user with {sizes.big_sessions:,}", TARGET_PAGE_MS),
        "admin": ("admin timeline of the big session", TARGET_PAGE_MS),
    }
    for name, (text, target) in what.items():
        ms, (q_small, q_big) = raw[name]["ms"], raw[name]["queries"]
        report.add(
            Row(
                "4 big sessions",
                label,
                f"{text}: p50 / p99 ms; queries small->big",
                f"{ms['p50']:.1f} / {ms['p99']:.1f}; {q_small}->{q_big}",
                f"< {target:.0f} ms, no growth in queries",
                ms["p50"] < target and q_big <= q_small,
            )
        )
