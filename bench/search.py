"""Scenario 12, search and budgets: full-text search over a million events'
entries, and what the budget check adds to admitting a message.

Search: `events` search entries of 100 users are stored through the same
INSERT the engine uses (the index follows by trigger or generated column);
the measured user owns a tenth of them. A common word is in half of every
user's entries, a rare one in ten of the measured user's. Each query is
`search.hits` as `GET /api/search/` calls it (first page of 20), timed in the
client process against the stack's database, with the number of queries it
made.

Budgets: `admit_message` of one short message, with no budget defined and
with three budgets over the user (each user, overall, one agent), alternating.
The admission's budget check is one query either way, so this measures what
budgets to look at cost it.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from bench.report import Report, Row
from bench.servers import Stack, run_client
from bench.sizes import Sizes
from bench.stats import summary

USERS = 100
BATCH = 10_000
COMMON, RARE = "weather", "quetzalcoatl"


def _seed(owners: list[Any], events: int, heavy: Any) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from conversations.models import ChatSession
    from conversations.search.backends import INSERT

    rng = random.Random(12)
    filler = [
        "the",
        "agent",
        "answered",
        "about",
        "rivers",
        "mountains",
        "cities",
        "numbers",
        "and",
        "time",
    ]
    sessions = {}
    for owner in owners:
        sessions[owner.pk] = ChatSession.objects.create(owner=owner, agent="math").pk
    field = ChatSession._meta.pk.get_db_prep_value
    now = timezone.now()
    rare_at = set(rng.sample(range(events // 10), 10))
    heavy_seen = 0
    for start in range(0, events, BATCH):
        rows = []
        for n in range(start, min(events, start + BATCH)):
            owner = heavy if n % 10 == 0 else owners[n % len(owners)]
            words = rng.sample(filler, 6)
            if n % 2 == 0:
                words.append(COMMON)
            if owner is heavy:
                if heavy_seen in rare_at:
                    words.append(RARE)
                heavy_seen += 1
            session = field(sessions[owner.pk], connection)
            rows.append((session, n + 1, owner.pk, "final", now, " ".join(words)))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(INSERT, rows)


def client_measure(params: dict[str, Any]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conversations import budgets, search
    from conversations.engine.admission import admit_message
    from conversations.models import Budget, ChatSession, Run

    users = get_user_model().objects
    tag = uuid.uuid4().hex[:6]
    owners = [users.create_user(f"search-{tag}-{i}") for i in range(USERS)]
    heavy = owners[0]
    started = time.perf_counter()
    _seed(owners, params["events"], heavy)
    seeded = time.perf_counter() - started
    out: dict[str, Any] = {"seed_s": seeded, "queries": {}}
    for word in (RARE, COMMON):
        times, counts = [], []
        for _ in range(params["queries"]):
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                found, _ = search.hits(heavy.pk, word)
                times.append((time.perf_counter() - t0) * 1000)
            counts.append(len(captured))
        out[word] = {"ms": times, "hits": len(found), "queries": max(counts)}

    session = ChatSession.objects.create(owner=heavy, agent="math")
    checks: dict[str, list[float]] = {"none": [], "three": []}

    def admit_once() -> float:
        t0 = time.perf_counter()
        admission = admit_message(session.pk, "hi", None, "enqueue", 60.0)
        took = (time.perf_counter() - t0) * 1000
        Run.objects.filter(pk=admission.run_id).update(status="succeeded")
        return took

    made = []
    for _ in range(params["admissions"]):
        Budget.objects.filter(pk__in=[b.pk for b in made]).delete()
        checks["none"].append(admit_once())
        made = [
            Budget.objects.create(name=f"{tag}-{kind}-{uuid.uuid4().hex[:4]}", **fields)
            for kind, fields in {
                "each": {"scope": "each_user"},
                "all": {"scope": "overall"},
                "agent": {"scope": "agent", "agent": "math"},
            }.items()
            for fields in [
                {**fields, "period": "day", "unit": "tokens", "limit": 10**9}
            ]
        ]
        checks["three"].append(admit_once())
    out["admission"] = checks
    assert budgets.refusal(heavy.pk, "math", session.created_at) is None
    return out


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    params = {
        "events": sizes.search_events,
        "queries": sizes.search_queries,
        "admissions": sizes.budget_admissions,
    }
    raw = run_client(stack, "search.measure", params)

    def row(what: str, figure: str, target: str = "", met: bool | None = None):
        return Row("12 search, budgets", stack.name, what, figure, target, met)

    rows = [
        row(
            f"entries stored and indexed for the search ({USERS} users)",
            f"{sizes.search_events:,} in {raw['seed_s']:.0f} s",
        )
    ]
    for word, kind in ((RARE, "rare"), (COMMON, "common")):
        got = raw[word]
        s = summary(got["ms"])
        rows.append(
            row(
                f"search, {kind} word, first page: p50 / p99 ms "
                f"({got['hits']} hits shown, {got['queries']} query)",
                f"{s['p50']:.1f} / {s['p99']:.1f}",
                "< 100 ms p50",
                s["p50"] < 100,
            )
        )
    none, three = raw["admission"]["none"], raw["admission"]["three"]
    rows += [
        row(
            "admitting a message: no budget; three budgets over the user, p50 ms",
            f"{summary(none)['p50']:.2f}; {summary(three)['p50']:.2f}",
        ),
        row(
            "admission with three budgets minus with none, p50 ms",
            f"{summary(three)['p50'] - summary(none)['p50']:.2f}",
        ),
    ]
    report.add(*rows)
