"""Synchronous, transactional writes of the run engine.

Each function here is one transaction, called from async code through `in_db_thread`.
Together they keep the promises of the transcript: seqs allocated with the events that
use them (gapless, unique), a run admitted with its `user_message` or not at all,
and a run finished with its `run_finished` event in the same commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    close_old_connections,
    connections,
    transaction,
)
from django.utils import timezone

from agents.events import PersistedEvent, RunFinished, UserMessage, event_data
from conversations.models import ChatSession, Event, EventRow, Run

T = TypeVar("T")

TITLE_LENGTH = 60
# A pooled connection idle this long is health-checked before its next use.
HEALTH_CHECK_AFTER_IDLE = 5.0


async def in_db_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking ORM call on the database thread pool.

    Not asgiref's single shared thread: concurrent runs would all queue behind each
    other there.
    """
    return await EngineDatabaseCall(fn, thread_sensitive=False, executor=db_executor())(
        *args
    )


class EngineDatabaseCall(SyncToAsync):
    """Channels' `DatabaseSyncToAsync` without a health check on every call.

    Channels closes old connections around each call, which re-arms Django's
    `CONN_HEALTH_CHECKS`: a `SELECT 1` round trip before every engine call, about
    a fifth of the database threads' time in a burst of short runs. Here a
    connection is checked only after it has been idle (when a server restart may
    have cut it), and dropped after a call that broke it or when it is too old.
    """

    def thread_handler(self, loop, *args, **kwargs):
        conn = connections[DEFAULT_DB_ALIAS]
        last_used = getattr(conn, "engine_last_used", 0.0)
        if time.monotonic() - last_used > HEALTH_CHECK_AFTER_IDLE:
            close_old_connections()  # arms the health check for this call
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            conn.engine_last_used = time.monotonic()
            if conn.errors_occurred or (
                conn.close_at is not None and time.monotonic() >= conn.close_at
            ):
                conn.close_if_unusable_or_obsolete()


@cache
def db_executor() -> ThreadPoolExecutor:
    """The process's database threads (DATABASE_THREADS, each with its connection).

    Few, and measured: every thread contends for the GIL with the event loop, and a
    statement's result waits for a GIL handoff before the next can go. In a burst
    of 500 short runs on PostgreSQL, 16 threads gave a delivery p99 of ~1 s and 2
    threads ~30-60 ms, finishing sooner too; on SQLite, threads beyond one only
    queue in SQLite's busy handler, which sleeps.
    """
    return ThreadPoolExecutor(
        max_workers=settings.DATABASE_THREADS, thread_name_prefix="agentsite-db"
    )


class RunInProgress(Exception):
    """The session already has an active run and the policy does not queue."""


class SessionGone(Exception):
    """The session was deleted while the message was being admitted."""


@dataclass(frozen=True)
class RunSpec:
    """What a process needs to know to drive a run, read from the database."""

    run_id: Any
    session_id: Any
    user_id: Any
    agent: str
    message: str
    client_id: str | None
    first_seq: int


@dataclass(frozen=True)
class Admission:
    """The outcome of a message: its run, the seq of its user_message, and whether
    it starts now, waits in the queue, or repeats an earlier `client_id`."""

    run_id: Any
    seq: int
    status: str
    duplicate: bool = False
    interrupted_run_id: Any = None
    promoted_run_id: Any = None  # an older queued run this admission started
    envelope: dict | None = None  # the stored user_message, to publish
    spec: RunSpec | None = None  # when the run starts now: what driving it needs


@dataclass(frozen=True)
class Allocation:
    """The session's seq counter after an allocation, with what the run engine
    needs to know of the session anyway."""

    last_seq: int
    owner_id: Any
    agent: str


def allocate_seqs(
    session_id: Any, count: int, now: datetime, title: str = ""
) -> Allocation:
    """Take `count` seqs from the session's counter in one statement.

    `UPDATE ... RETURNING` (PostgreSQL, and SQLite since 3.35): the ORM's
    `update()` then a `SELECT` cost two round trips on the hottest path. Must run
    inside a transaction: the row stays locked until commit, so concurrent
    writers to one session take turns, and a rollback returns the seqs. `title`
    becomes the session's title if it has none yet.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    meta = ChatSession._meta
    params: list[Any] = [
        count,
        meta.get_field("last_activity").get_db_prep_value(now, conn),
    ]
    set_title = ""
    if title:
        set_title = ", title = CASE WHEN title = '' THEN %s ELSE title END"
        params.append(title)
    params.append(meta.pk.get_db_prep_value(session_id, conn))
    sql = (
        f"UPDATE {conn.ops.quote_name(meta.db_table)} "
        f"SET last_seq = last_seq + %s, last_activity = %s{set_title} "
        "WHERE id = %s RETURNING last_seq, owner_id, agent"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise SessionGone(session_id)
    return Allocation(*row)


def event_rows(
    session_id: Any,
    run_id: Any,
    events: Sequence[PersistedEvent],
    last_seq: int,
    now: datetime,
) -> list[EventRow]:
    """The rows of events whose seqs end at `last_seq`."""
    first = last_seq - len(events) + 1
    return [
        EventRow(session_id, first + offset, run_id, event.type, event_data(event), now)
        for offset, event in enumerate(events)
    ]


def store_events(
    session_id: Any, run_id: Any, events: Sequence[PersistedEvent]
) -> list[EventRow]:
    """Append events to a session, allocating their seqs from the session's counter.

    Must run inside a transaction (see `allocate_seqs`).
    """
    now = timezone.now()
    last = allocate_seqs(session_id, len(events), now).last_seq
    rows = event_rows(session_id, run_id, events, last, now)
    Event.objects.append_rows(rows)
    if run_id is not None:
        Run.objects.filter(pk=run_id).update(last_seq=last, heartbeat_at=now)
    return rows


def write_batch(
    session_id: Any, run_id: Any, events: Sequence[PersistedEvent]
) -> list[dict]:
    """Store a batch of a run's events in one transaction; return their envelopes."""
    with transaction.atomic():
        rows = store_events(session_id, run_id, events)
    return [row.envelope() for row in rows]


def admit_message(
    session_id: Any, text: str, client_id: str | None, policy: str, stale_after: float
) -> Admission:
    """Store a user message and create its run, following the agent's policy.

    The partial unique index on running runs settles races between processes: the
    loser of two concurrent inserts gets an IntegrityError and is told
    `run_in_progress` (or queued, under `enqueue`/`interrupt`).
    """
    try:
        return _admit(session_id, text, client_id, policy, stale_after)
    except IntegrityError:
        duplicate = _find_duplicate(session_id, client_id)
        if duplicate is not None:
            return duplicate
        if policy == "reject":
            raise RunInProgress(session_id) from None
        return _admit(session_id, text, client_id, policy, stale_after)


def _find_duplicate(session_id: Any, client_id: str | None) -> Admission | None:
    if not client_id:
        return None
    run = Run.objects.filter(session_id=session_id, client_id=client_id).first()
    if run is None:
        return None
    return Admission(run.id, run.first_seq, run.status, duplicate=True)


def _admit(
    session_id: Any, text: str, client_id: str | None, policy: str, stale_after: float
) -> Admission:
    now = timezone.now()
    with transaction.atomic():
        duplicate = _find_duplicate(session_id, client_id)
        if duplicate is not None:
            return duplicate
        open_runs = list(
            Run.objects.filter(
                session_id=session_id,
                status__in=(Run.Status.RUNNING, Run.Status.QUEUED),
            ).values_list("pk", "status", "heartbeat_at")
        )
        running = [
            (pk, beat) for pk, status, beat in open_runs if status == Run.Status.RUNNING
        ]
        active, last_beat = running[0] if running else (None, None)
        if active is not None and last_beat < now - timedelta(seconds=stale_after):
            interrupt_run(active, "the process running it stopped")
            active = None
        interrupted = promoted = None
        if active is None:
            # A run just finished and its process has not yet promoted the queue:
            # this message goes behind the queued ones, whose head starts now.
            if any(status == Run.Status.QUEUED for _, status, _ in open_runs):
                promoted = _promote_oldest_queued(session_id, now)
            status = Run.Status.QUEUED if promoted else Run.Status.RUNNING
        elif policy == "reject":
            raise RunInProgress(session_id)
        else:
            status = Run.Status.QUEUED
            if policy == "interrupt":
                Run.objects.filter(pk=active).update(cancel_requested=True)
                interrupted = active
        session = allocate_seqs(session_id, 1, now, title=_title_from(text))
        run = Run.objects.create(
            session_id=session_id,
            status=status,
            message=text,
            client_id=client_id or None,
            started_at=now if status == Run.Status.RUNNING else None,
            heartbeat_at=now,
            first_seq=session.last_seq,
            last_seq=session.last_seq,
        )
        message = UserMessage(text, client_id or None)
        (row,) = event_rows(session_id, run.id, [message], session.last_seq, now)
        Event.objects.append_rows([row])
    spec = None
    if status == Run.Status.RUNNING:
        spec = RunSpec(
            run.id,
            session_id,
            session.owner_id,
            session.agent,
            text,
            run.client_id,
            row.seq,
        )
    return Admission(
        run.id,
        row.seq,
        status,
        interrupted_run_id=interrupted,
        promoted_run_id=promoted,
        envelope=row.envelope(),
        spec=spec,
    )


def _title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


def promote_next_queued(session_id: Any) -> Any | None:
    """Start the oldest queued run of a session if none is running; return its id."""
    try:
        with transaction.atomic():
            if Run.objects.active().filter(session_id=session_id).exists():
                return None
            return _promote_oldest_queued(session_id, timezone.now())
    except IntegrityError:  # another process promoted one first
        return None


def _promote_oldest_queued(session_id: Any, now: datetime) -> Any | None:
    """Mark the session's oldest queued run running (caller checked none is)."""
    run_id = (
        Run.objects.queued()
        .filter(session_id=session_id)
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if run_id is not None:
        Run.objects.filter(pk=run_id).update(
            status=Run.Status.RUNNING, started_at=now, heartbeat_at=now
        )
    return run_id


def finish_run(
    run_id: Any,
    session_id: Any,
    pending: Sequence[PersistedEvent],
    finished: RunFinished,
    error: str = "",
) -> list[dict]:
    """Store the run's last events and its `run_finished`, and close the run row,
    in one transaction; return the envelopes to publish."""
    events = [*pending, finished]
    now = timezone.now()
    with transaction.atomic():
        last = allocate_seqs(session_id, len(events), now).last_seq
        closed = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
            status=finished.status,
            finished_at=now,
            error=error,
            input_tokens=finished.usage.get("input_tokens", 0),
            output_tokens=finished.usage.get("output_tokens", 0),
            last_seq=last,
            heartbeat_at=now,
        )
        if not closed:  # already finished elsewhere (recovered as interrupted)
            transaction.set_rollback(True)  # and the seqs go back
            return []
        rows = event_rows(session_id, run_id, events, last, now)
        Event.objects.append_rows(rows)
    return [row.envelope() for row in rows]


def load_spec(run_id: Any) -> RunSpec:
    """The spec of a run admitted earlier (one promoted from the queue)."""
    run = Run.objects.select_related("session").get(pk=run_id)
    return RunSpec(
        run_id=run.id,
        session_id=run.session_id,
        user_id=run.session.owner_id,
        agent=run.session.agent,
        message=run.message,
        client_id=run.client_id,
        first_seq=run.first_seq,
    )


def interrupt_run(run_id: Any, reason: str) -> list[dict]:
    """Finish a run whose process died, as `interrupted`, with its `run_finished`."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return []
    started = run.started_at or run.created_at
    duration = (timezone.now() - started).total_seconds() * 1000
    finished = RunFinished("interrupted", round(duration, 3), run.usage)
    return finish_run(run_id, run.session_id, [], finished, error=reason)


def request_cancel(session_id: Any) -> Any | None:
    """Flag the session's active run for cancellation; return its id (or None)."""
    with transaction.atomic():
        run = Run.objects.active().filter(session_id=session_id).first()
        if run is None:
            return None
        Run.objects.filter(pk=run.pk).update(cancel_requested=True)
        return run.id


def beat_runs(run_ids: Sequence[Any]) -> list[Any]:
    """Record that the process driving these runs is alive; return the ids of
    those whose cancel was asked for in the database."""
    runs = Run.objects.active().filter(pk__in=run_ids)
    runs.update(heartbeat_at=timezone.now())
    return list(runs.filter(cancel_requested=True).values_list("pk", flat=True))


def delete_session_rows(session_id: Any) -> tuple[bool, list[Any]]:
    """Delete a session with its runs, events, state and feedback; return whether
    it existed and the ids of its runs that were still open.

    The session's row is locked first: every event insert takes that row's lock
    to allocate its seqs, so no run can add an event between the cascade's
    collecting and its deleting (on PostgreSQL that race was a foreign-key 500).
    """
    with transaction.atomic():
        session = ChatSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return False, []
        open_runs = list(
            Run.objects.filter(
                session_id=session_id,
                status__in=(Run.Status.RUNNING, Run.Status.QUEUED),
            ).values_list("pk", flat=True)
        )
        session.delete()
    return True, open_runs
