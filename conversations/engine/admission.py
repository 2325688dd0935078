"""Admitting a message: its `user_message` and its run in one transaction, under
the agent's double-message policy, and the queue behind a running run.

A steering message joins the working run instead of making one: it is stored as
that run's `user_message` (marked `steer`) with a `Steer` row the run takes it
from at its next step. The run closes its inbox, under the run row's lock, when
it takes nothing more and answers; a message admitted after that is queued as
under `enqueue`, so none is lost and none is taken twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.base import Policy
from agents.events import UserMessage
from conversations import budgets
from conversations.engine.storage import (
    Allocation,
    RunSpec,
    allocate_seqs,
    event_rows,
    interrupt_run,
)
from conversations.models import Event, Run, Steer

TITLE_LENGTH = 60


# Who cancelled a run that a new message interrupted.
INTERRUPTED_BY = "a new message (interrupt policy)"


class RunInProgress(Exception):
    """The session already has an active run and the policy does not queue."""


class ApprovalPending(RunInProgress):
    """The session's active run waits for a decision on a tool call: whatever
    the policy, a new message waits for that decision too."""


class SteeringRefused(Exception):
    """A message sent to steer a run, to an agent that takes none."""


@dataclass(frozen=True)
class Admission:
    """The outcome of a message: its run, the seq of its user_message, and whether
    it starts now, waits in the queue, or repeats an earlier `client_id`."""

    run_id: Any
    seq: int
    status: str
    duplicate: bool = False
    steered: bool = False  # taken into the working run `run_id`
    interrupted_run_id: Any = None
    promoted_run_id: Any = None  # an older queued run this admission started
    envelope: dict | None = None  # the stored user_message, to publish
    spec: RunSpec | None = None  # when the run starts now: what driving it needs


def admit_message(
    session_id: Any,
    text: str,
    client_id: str | None,
    policy: Policy,
    stale_after: float,
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
        if policy == Policy.REJECT:
            raise RunInProgress(session_id) from None
        return _admit(session_id, text, client_id, policy, stale_after)


def _find_duplicate(session_id: Any, client_id: str | None) -> Admission | None:
    if not client_id:
        return None
    run = Run.objects.filter(session_id=session_id, client_id=client_id).first()
    if run is not None:
        return Admission(run.id, run.first_seq, run.status, duplicate=True)
    steer = (
        Steer.objects.filter(session_id=session_id, client_id=client_id)
        .values_list("run_id", "seq", "run__status")
        .first()
    )
    if steer is None:
        return None
    run_id, seq, status = steer
    return Admission(run_id, seq, status, steered=True, duplicate=True)


def _admit(
    session_id: Any,
    text: str,
    client_id: str | None,
    policy: Policy,
    stale_after: float,
) -> Admission:
    now = timezone.now()
    with transaction.atomic():
        duplicate = _find_duplicate(session_id, client_id)
        if duplicate is not None:
            return duplicate
        # The session's lock first, then its runs: a run that finishes commits
        # under this lock too, so it is seen finished here, or it finishes
        # after this message is queued and its driver starts the queue. (Read
        # before the lock, a run finishing in between left the queued message
        # for the recovery sweep.)
        session = allocate_seqs(session_id, 0, now)
        refused = budgets.refusal(session.owner_id, session.agent, now)
        if refused is not None:
            raise refused
        open_runs = list(
            Run.objects.filter(
                session_id=session_id, status__in=(*Run.ACTIVE, Run.Status.QUEUED)
            ).values_list("pk", "status", "heartbeat_at")
        )
        if any(status == Run.Status.AWAITING_APPROVAL for _, status, _ in open_runs):
            raise ApprovalPending(session_id)
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
        elif policy == Policy.REJECT:
            raise RunInProgress(session_id)
        else:
            status = Run.Status.QUEUED
            if policy == Policy.INTERRUPT:
                Run.objects.filter(pk=active).update(
                    cancel_requested=True, cancelled_by=INTERRUPTED_BY
                )
                interrupted = active
        session = allocate_seqs(session_id, 1, now, title=_title_from(text))
        if policy == Policy.STEER and active is not None and _inbox_open(active):
            return _steer(session_id, session, active, text, client_id, now)
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
        Event.objects.append_rows([row], session.owner_id)
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


def _inbox_open(run_id: Any) -> bool:
    """Whether the working run still takes steering messages. Locks its row
    (the session's is already locked by the seq allocation), so the run's
    closing of its inbox comes wholly before or after this admission."""
    return (
        Run.objects.select_for_update()
        .filter(pk=run_id, status=Run.Status.RUNNING, inbox_closed=False)
        .values_list("pk", flat=True)
        .first()
        is not None
    )


def _steer(
    session_id: Any,
    session: Allocation,
    run_id: Any,
    text: str,
    client_id: str | None,
    now: datetime,
) -> Admission:
    """Store a steering message as the working run's `user_message`."""
    seq = session.last_seq
    Steer.objects.create(
        session_id=session_id, run_id=run_id, seq=seq, text=text, client_id=client_id
    )
    message = UserMessage(text, client_id or None, steer=True)
    (row,) = event_rows(session_id, run_id, [message], seq, now)
    Event.objects.append_rows([row], session.owner_id)
    return Admission(
        run_id, seq, Run.Status.RUNNING, steered=True, envelope=row.envelope()
    )


def take_steers(run_id: Any, after_seq: int, closing: bool) -> list[tuple[int, str]]:
    """Hand a run the steering messages after `after_seq` it has not taken,
    as (seq, text), oldest first; when it is `closing` and there are none,
    close its inbox. The run row's lock orders this against `_inbox_open`;
    the steers are read after taking it, so one committed meanwhile is seen.
    (A resumed run reads the earlier ones in its stored events: its
    `after_seq` is where those end.)"""
    with transaction.atomic():
        if closing:
            list(Run.objects.select_for_update().filter(pk=run_id).values("pk"))
        waiting = Steer.objects.filter(run_id=run_id, seq__gt=after_seq, taken=False)
        steers = list(waiting.order_by("seq").values_list("pk", "seq", "text"))
        if steers:
            Steer.objects.filter(pk__in=[pk for pk, _, _ in steers]).update(taken=True)
        elif closing:
            Run.objects.filter(pk=run_id).update(inbox_closed=True)
    return [(seq, text) for _, seq, text in steers]


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
