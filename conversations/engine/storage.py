"""Synchronous, transactional writes of the run engine.

Each function here is one transaction, called from async code through `in_db_thread`.
Together they keep the promises of the transcript: seqs allocated with the events that
use them (gapless, unique), a run admitted with its `user_message` or not at all,
and a run finished with its `run_finished` event in the same commit.
"""

from __future__ import annotations

import dataclasses
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

from agents.events import (
    ApprovalRequested,
    ApprovalResolved,
    PersistedEvent,
    RunFinished,
    RunStatus,
    ToolError,
    ToolResult,
    event_data,
    from_wire,
)
from conversations.models import Approval, ChatSession, Event, EventRow, Run
from conversations.usage import priced, roll_up

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
    resuming: bool = False  # after approval decisions: the run has events already
    usage: tuple[int, int, str] = (0, 0, "")  # used before it waited (in, out, model)


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
    executed: Sequence[str] = (),
) -> list[EventRow] | None:
    """Append events to a session, allocating their seqs from the session's
    counter, and move the run's last seq and heartbeat with them: the one append
    every event of a run goes through. With `close_as` (the run's `run_finished`
    and error text) the run row is closed in the same statement, only if it is
    still active; None then means it was finished elsewhere and nothing is
    stored (the caller rolls back, so the seqs go back).

    Approval requests among the events become `Approval` rows, and the
    execution records of `executed` (gated calls whose outcome is among the
    events) are closed, in the same transaction as the events.

    Must run inside a transaction (see `allocate_seqs`).
    """
    now = timezone.now()
    allocation = allocate_seqs(session_id, len(events), now)
    last = allocation.last_seq
    if run_id is not None:
        runs = Run.objects.filter(pk=run_id)
        closing: dict[str, Any] = {}
        if close_as is not None:
            finished, error = close_as
            runs = runs.filter(status__in=Run.ACTIVE)
            closing = {
                "status": finished.status,
                "finished_at": now,
                "error": error,
                **Run.usage_fields(finished.usage),
            }
        if not runs.update(last_seq=last, heartbeat_at=now, **closing) and closing:
            return None
    rows = event_rows(session_id, run_id, events, last, now)
    Event.objects.append_rows(rows, allocation.owner_id)
    if any(isinstance(e, ApprovalRequested | ApprovalResolved) for e in events):
        _record_approvals(session_id, run_id, allocation.agent, events, now)
    if executed:
        Approval.objects.filter(
            run_id=run_id, call_id__in=executed, execution=Approval.Execution.STARTED
        ).update(execution=Approval.Execution.DONE)
    return rows


def _record_approvals(
    session_id: Any,
    run_id: Any,
    agent: str,
    events: Sequence[PersistedEvent],
    now: datetime,
) -> None:
    """The `Approval` rows of the events' requests, and the decisions the
    run itself made on them (a remembered grant). A person's decision is
    stored by `approvals.decide`, which writes its row itself."""
    Approval.objects.bulk_create(
        Approval(
            id=e.approval,
            session_id=session_id,
            run_id=run_id,
            agent=agent,
            call_id=e.call_id,
            tool=e.tool,
            args=e.args,
            approver=e.approver,
            requested_at=now,
            expires_at=datetime.fromisoformat(e.expires_at),
        )
        for e in events
        if isinstance(e, ApprovalRequested)
    )
    for e in events:
        if isinstance(e, ApprovalResolved) and e.grant and e.by is None:
            Approval.objects.filter(
                pk=e.approval, status=Approval.Status.PENDING
            ).update(
                status=Approval.Status.APPROVED,
                decision=e.decision,
                decided_args=e.args,
                decided_at=now,
            )


def write_batch(
    session_id: Any,
    run_id: Any,
    events: Sequence[PersistedEvent],
    executed: Sequence[str] = (),
) -> list[dict]:
    """Store a batch of a run's events in one transaction; return their envelopes."""
    with transaction.atomic():
        rows = store_events(session_id, run_id, events, executed=executed)
    return [row.envelope() for row in rows]


def finish_run(
    run_id: Any,
    session_id: Any,
    pending: Sequence[PersistedEvent],
    finished: RunFinished,
    error: str = "",
    executed: Sequence[str] = (),
) -> list[dict]:
    """Store the run's last events and its `run_finished`, and close the run row,
    in one transaction; return the envelopes to publish (none when the run had
    been finished elsewhere already, recovered as interrupted).

    A run that ends other than by succeeding may leave gated calls behind:
    still pending (a cancel, a crash), which are rejected, or started and never
    finished (a crash mid-call), which are stored as in doubt.

    Its usage is priced and added to its user's day here, in the same
    transaction, whatever ended it."""
    now = timezone.now()
    finished = dataclasses.replace(finished, usage=priced(finished.usage, now))
    with transaction.atomic():
        stored: list[EventRow] = []
        closing: list[PersistedEvent] = [*pending, finished]
        if finished.status != RunStatus.SUCCEEDED:
            # The pending events first (this takes the session's lock, so no
            # decision slips in), then what settles the calls they leave open.
            stored = store_events(session_id, run_id, pending, executed=executed)
            closing = [*_loose_ends(run_id, finished.status), finished]
        rows = store_events(
            session_id,
            run_id,
            closing,
            close_as=(finished, error),
            executed=executed,
        )
        if rows is None:
            transaction.set_rollback(True)
            return []
        roll_up(run_id, finished.usage, now)
    return [row.envelope() for row in [*stored, *rows]]


IN_DOUBT = (
    "not known whether it ran: the process running it stopped before its result "
    "was stored, and it is not run again by itself"
)


def _loose_ends(run_id: Any, status: RunStatus) -> list[PersistedEvent]:
    """The events that settle a run's gated calls left without an outcome when it
    ends (the caller holds the session's lock, so no decision slips in between):
    a pending call is rejected, a started one is in doubt, and a decided one
    that never got to run says so."""
    approvals = list(
        Approval.objects.filter(run_id=run_id).exclude(
            execution__in=(Approval.Execution.DONE, Approval.Execution.IN_DOUBT)
        )
    )
    if not approvals:
        return []
    settled = set(
        Event.objects.filter(
            run_id=run_id, type__in=(ToolResult.type, ToolError.type)
        ).values_list("data__call_id", flat=True)
    )
    by = Run.objects.filter(pk=run_id).values_list("cancelled_by", flat=True).first()
    reason = (
        "the run was cancelled" if status == RunStatus.CANCELLED else "the run ended"
    )
    events: list[PersistedEvent] = []
    rejected, in_doubt = [], []
    for approval in approvals:
        if approval.call_id in settled:
            continue
        call, tool = approval.call_id, approval.tool
        if approval.status == Approval.Status.PENDING:
            rejected.append(approval.pk)
            events.append(
                ApprovalResolved(
                    str(approval.id),
                    call,
                    Approval.Status.REJECTED,
                    approval.args,
                    reason,
                    by or None,
                )
            )
            events.append(
                ToolError(
                    call, tool, f"not run: {reason}", code=Approval.Status.REJECTED
                )
            )
        elif approval.execution == Approval.Execution.STARTED:
            in_doubt.append(approval.pk)
            events.append(ToolError(call, tool, IN_DOUBT, code="in_doubt"))
        elif approval.status == Approval.Status.APPROVED:
            events.append(
                ToolError(call, tool, f"not run: {reason} before the call started")
            )
        else:  # rejected or expired, and the run ended before telling the model
            events.append(
                ToolError(
                    call, tool, f"not run: {approval.status}", code=approval.status
                )
            )
    Approval.objects.filter(pk__in=rejected, status=Approval.Status.PENDING).update(
        status=Approval.Status.REJECTED,
        decision=Approval.Status.REJECTED,
        reason=reason,
        decided_at=timezone.now(),
    )
    Approval.objects.filter(pk__in=in_doubt).update(
        execution=Approval.Execution.IN_DOUBT
    )
    return events


def suspend_run(
    run_id: Any,
    session_id: Any,
    pending: Sequence[PersistedEvent],
    usage: dict[str, int],
) -> tuple[str, list[dict]]:
    """Store a run's last events before it waits for approvals and mark it
    `awaiting_approval`, in one transaction: from then on no process holds it.
    Returns what became of it, with the envelopes to publish: "waiting";
    "decided" when every approval was decided before it could wait (the caller
    drives it on); "cancelled" when a cancel came first (the caller ends it)."""
    with transaction.atomic():
        rows = store_events(session_id, run_id, pending)  # locks the session row
        envelopes = [row.envelope() for row in rows]
        if Run.objects.filter(pk=run_id, cancel_requested=True).exists():
            return "cancelled", envelopes
        if not Approval.objects.pending().filter(run_id=run_id).exists():
            return "decided", envelopes
        Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(
            status=Run.Status.AWAITING_APPROVAL,
            **Run.usage_fields(usage),
        )
    return "waiting", envelopes


def start_execution(run_id: Any, call_id: str) -> None:
    """Record, durably, that an approved call starts now. Raises
    `ExecutionRefused` unless it is approved and never started: whatever
    happens, the call runs at most once."""
    started = Approval.objects.filter(
        run_id=run_id,
        call_id=call_id,
        status=Approval.Status.APPROVED,
        execution=Approval.Execution.NONE,
    ).update(execution=Approval.Execution.STARTED)
    if not started:
        raise ExecutionRefused(f"call {call_id} is not approved or already started")


class ExecutionRefused(Exception):
    """A gated call that must not start: not approved, or started before."""


def load_spec(run_id: Any, resuming: bool = False) -> RunSpec:
    """The spec of a run admitted earlier (one promoted from the queue, or one
    resuming after its approvals were decided)."""
    run = Run.objects.select_related("session").get(pk=run_id)
    return RunSpec(
        run_id=run.id,
        session_id=run.session_id,
        user_id=run.session.owner_id,
        agent=run.session.agent,
        message=run.message,
        client_id=run.client_id,
        first_seq=run.first_seq,
        resuming=resuming,
        usage=(run.input_tokens, run.output_tokens, run.model),
    )


def load_progress(run_id: Any, first_seq: int) -> tuple[list[PersistedEvent], int]:
    """A run's stored events after its user message, what it resumes from,
    and the seq they end at (`first_seq` when there are none)."""
    rows = Event.objects.filter(run_id=run_id, seq__gt=first_seq).order_by("seq")
    stored = list(rows.values_list("seq", "type", "data"))
    last = stored[-1][0] if stored else first_seq
    return [from_wire(t, data) for _, t, data in stored], last


def interrupt_run(run_id: Any, reason: str) -> list[dict]:
    """Finish a run whose process died, as `interrupted`, with its `run_finished`."""
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return []
    finished = RunFinished(RunStatus.INTERRUPTED, _elapsed_ms(run), run.usage)
    return finish_run(run_id, run.session_id, [], finished, error=reason)


def request_cancel(session_id: Any, by: str) -> tuple[Any, list[dict]] | None:
    """Cancel the session's active run on behalf of `by`: a working run is
    flagged (its driver stops it), a run waiting for approvals is ended here,
    its approvals rejected. Returns its id and, for a waiting run, the
    envelopes to publish; None when no run is active."""
    with transaction.atomic():
        allocate_seqs(session_id, 0, timezone.now())  # a decision cannot wake it now
        run = Run.objects.active().filter(session_id=session_id).first()
        if run is None:
            return None
        Run.objects.filter(pk=run.pk).update(cancel_requested=True, cancelled_by=by)
        if run.status == Run.Status.RUNNING:
            return run.id, []
        finished = RunFinished(RunStatus.CANCELLED, _elapsed_ms(run), run.usage)
        return run.id, finish_run(run.id, session_id, [], finished)


def _elapsed_ms(run: Run) -> float:
    started = run.started_at or run.created_at
    return round((timezone.now() - started).total_seconds() * 1000, 3)


def beat_runs(run_ids: Sequence[Any]) -> list[Any]:
    """Record that the process driving these runs is alive; return the ids of
    those whose cancel was asked for in the database."""
    runs = Run.objects.working().filter(pk__in=run_ids)
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
                session_id=session_id, status__in=(*Run.ACTIVE, Run.Status.QUEUED)
            ).values_list("pk", flat=True)
        )
        session.delete()
    return True, open_runs
