"""Synchronous, transactional writes of the run engine.

Each function here is one transaction, called from async code through `in_db_thread`.
Together they keep the promises of the transcript: seqs allocated with the events that
use them (gapless, unique), a run admitted with its `user_message` or not at all,
and a run finished with its `run_finished` event in the same commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import (
    DEFAULT_DB_ALIAS,
    connections,
    transaction,
)
from django.utils import timezone

from agents.events import PersistedEvent, RunFinished, RunStatus, event_data
from conversations.models import ChatSession, Event, EventRow, Run

T = TypeVar("T")


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
    session_id: Any,
    run_id: Any,
    events: Sequence[PersistedEvent],
    close_as: tuple[RunFinished, str] | None = None,
) -> list[EventRow] | None:
    """Append events to a session, allocating their seqs from the session's
    counter, and move the run's last seq and heartbeat with them: the one append
    every event of a run goes through. With `close_as` (the run's `run_finished`
    and error text) the run row is closed in the same statement, only if it is
    still running; None then means it was finished elsewhere and nothing is
    stored (the caller rolls back, so the seqs go back).

    Must run inside a transaction (see `allocate_seqs`).
    """
    now = timezone.now()
    last = allocate_seqs(session_id, len(events), now).last_seq
    if run_id is not None:
        runs = Run.objects.filter(pk=run_id)
        closing: dict[str, Any] = {}
        if close_as is not None:
            finished, error = close_as
            runs = runs.filter(status=Run.Status.RUNNING)
            closing = {
                "status": finished.status,
                "finished_at": now,
                "error": error,
                "input_tokens": finished.usage.get("input_tokens", 0),
                "output_tokens": finished.usage.get("output_tokens", 0),
            }
        if not runs.update(last_seq=last, heartbeat_at=now, **closing) and closing:
            return None
    rows = event_rows(session_id, run_id, events, last, now)
    Event.objects.append_rows(rows)
    return rows


def write_batch(
    session_id: Any, run_id: Any, events: Sequence[PersistedEvent]
) -> list[dict]:
    """Store a batch of a run's events in one transaction; return their envelopes."""
    with transaction.atomic():
        rows = store_events(session_id, run_id, events)
    return [row.envelope() for row in rows]


def finish_run(
    run_id: Any,
    session_id: Any,
    pending: Sequence[PersistedEvent],
    finished: RunFinished,
    error: str = "",
) -> list[dict]:
    """Store the run's last events and its `run_finished`, and close the run row,
    in one transaction; return the envelopes to publish (none when the run had
    been finished elsewhere already, recovered as interrupted)."""
    with transaction.atomic():
        rows = store_events(
            session_id, run_id, [*pending, finished], close_as=(finished, error)
        )
        if rows is None:
            transaction.set_rollback(True)
            return []
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
    finished = RunFinished(RunStatus.INTERRUPTED, round(duration, 3), run.usage)
    return finish_run(run_id, run.session_id, [], finished, error=reason)


def request_cancel(session_id: Any, by: str) -> Any | None:
    """Flag the session's active run for cancellation, noting `by` whom; return
    its id (or None)."""
    with transaction.atomic():
        run = Run.objects.active().filter(session_id=session_id).first()
        if run is None:
            return None
        Run.objects.filter(pk=run.pk).update(cancel_requested=True, cancelled_by=by)
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
