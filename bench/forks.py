"""Scenario 9, forks: a fork of a 10,000-event session through the REST
endpoint, beside the same copy made the plain way (the ORM reading every
event and bulk-creating its copy), with queries counted on a small and a big
session and the rebuilt state checked against the parent's.

In-process, as scenario 4 measures pages: Django's test client with its full
middleware, auth and serialisation, no socket. Each run of the big session
wrote one key of session state, so the fork replays 500-odd `state_delta`
events; its state must equal the parent's.
"""

from __future__ import annotations

import gc
import json
import uuid
from typing import Any

from bench.bigsession import EVENTS_PER_RUN, count_queries, fill_session, timed
from bench.report import Report, Row
from bench.servers import Stack, run_client
from bench.sizes import Sizes

TARGET_FORK_MS = 1000.0


def client_fork(params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client, override_settings

    from bench.fixtures import user_with_token
    from conversations.engine.forks import fork_session
    from conversations.models import AgentState

    owner, token = user_with_token("fork")
    runs = -(-params["events"] // EVENTS_PER_RUN)
    big, big_last = fill_session(owner, runs, state=True)
    small, small_last = fill_session(owner, 5, state=True)
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    forks: dict[str, list[str]] = {big: [], small: []}

    def fork(session: str, at: int):
        def call() -> None:
            body = json.dumps({"at": at})
            response = api.post(
                f"/api/sessions/{session}/fork/", body, content_type="application/json"
            )
            if response.status_code != 201:
                raise RuntimeError(f"fork: {response.status_code} {response.content}")
            forks[session].append(response.json()["id"])

        return call

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    gc.collect()
    gc.freeze()
    out: dict[str, Any] = {"events": big_last}
    with override_settings(DEBUG=False):
        fork(big, big_last)()  # warm-up
        out["fork"] = timed(fork(big, big_last), params["repeats"])
        plain = _plain_copy(big)
        plain()
        out["plain"] = timed(plain, params["repeats"])
    # Counted on the copy itself: the endpoint runs it in the engine's database
    # thread, whose queries a capture on this thread would not see.
    out["queries"] = [
        count_queries(lambda: fork_session(small, small_last)),
        count_queries(lambda: fork_session(big, big_last)),
    ]
    out["plain_queries"] = count_queries(_plain_copy(big))

    def state(session: str) -> dict:
        rows = AgentState.objects.filter(scope="session", session_id=session)
        return dict(rows.values_list("key", "value"))

    out["state_equal"] = all(state(f) == state(big) for f in forks[big])
    out["state_keys"] = len(state(big))
    return out


def _plain_copy(session_id: str):
    """A fork the way the ORM would first write it: read each event as an
    object, give it the new session, bulk-create the copies (runs copied the
    same way), in one transaction. Not product code: the baseline."""
    from django.db import transaction

    from conversations.models import ChatSession, Event, Run

    def copy() -> None:
        with transaction.atomic():
            parent = ChatSession.objects.get(pk=session_id)
            fork = ChatSession.objects.create(
                owner_id=parent.owner_id, agent=parent.agent, last_seq=parent.last_seq
            )
            runs = {}
            for run in Run.objects.filter(session_id=session_id):
                old, run.id, run.session_id = run.pk, uuid.uuid4(), fork.pk
                runs[old] = run
            Run.objects.bulk_create(runs.values())
            events = list(Event.objects.filter(session_id=session_id))
            for event in events:
                event.pk, event.session_id = None, fork.pk
                event.run_id = runs[event.run_id].id
            Event.objects.bulk_create(events, batch_size=1000)

    return copy


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    raw = run_client(
        stack,
        "forks.fork",
        {"events": sizes.big_events, "repeats": sizes.big_repeats},
        extra_env={"DEBUG": "1"},
    )
    label = f"{stack.name} in-process"
    fork, plain = raw["fork"], raw["plain"]
    q_small, q_big = raw["queries"]
    report.add(
        Row(
            "9 forks",
            label,
            f"fork of a {raw['events']:,}-event session (POST fork/): p50 / p99 ms; "
            "queries of the copy, small->big",
            f"{fork['p50']:.1f} / {fork['p99']:.1f}; {q_small}->{q_big}",
            f"< {TARGET_FORK_MS:.0f} ms, no growth in queries",
            fork["p50"] < TARGET_FORK_MS and q_big <= q_small,
        ),
        Row(
            "9 forks",
            label,
            "beside: the same copy through ORM objects: p50 ms; queries "
            "(fork/plain at p50)",
            f"{plain['p50']:.1f}; {raw['plain_queries']} "
            f"({fork['p50'] / plain['p50']:.2f}x)",
        ),
        Row(
            "9 forks",
            label,
            f"fork's session state equals the parent's ({raw['state_keys']} keys "
            "rebuilt from state_delta)",
            "equal" if raw["state_equal"] else "DIFFERENT",
            "equal",
            raw["state_equal"],
        ),
    )
