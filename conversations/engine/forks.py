"""Forking a session at a run boundary: the one place that copies a transcript.

A fork is a new session of the same owner and agent whose events are the
parent's events `1..at`, with the same seqs, and whose session-scope state is
the parent's state as of `at`, rebuilt from the `state_delta` events. The parent
is only read: its transcript, seqs and watchers are untouched. User- and
agent-scope state belongs to the user and the agent, so forks share it.

The copy is a constant number of statements whatever the transcript's length:
runs and events each in one `INSERT ... SELECT` joined to a table of each old
run id and its copy's new one, state in one bulk insert.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone

from conversations.models import AgentState, ChatSession, Event, Run
from conversations.search.backends import ENTRIES

# Runs mapped per `INSERT ... SELECT`: two parameters each, well under SQLite's
# 32,766 and PostgreSQL's 65,535 parameters a statement.
RUNS_PER_STATEMENT = 2000


class ForkRefused(Exception):
    """The fork cannot be made; `conflict` when the session's run is the reason
    (409), otherwise the request named a wrong place (400)."""

    def __init__(self, message: str, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.conflict = conflict


def run_boundaries(session_id: Any) -> list[int]:
    """The seqs a session can be forked at, ascending: 0, and each `run_finished`
    after which no run is open (a message queued during a run starts a run
    inside it, so the end of that run is no boundary until the queued one ends)."""
    runs = Run.objects.filter(session_id=session_id, first_seq__isnull=False)
    spans = sorted(
        (first, last if status in Run.FINISHED else None)
        for first, last, status in runs.values_list("first_seq", "last_seq", "status")
    )
    boundaries, open_until = [0], 0
    for first, last in spans:
        if boundaries[-1] < open_until < first:
            boundaries.append(open_until)  # every run begun so far has ended
        if last is None:  # still open: nothing after it is a boundary yet
            return boundaries
        open_until = max(open_until, last)
    if boundaries[-1] < open_until:
        boundaries.append(open_until)
    return boundaries


def boundary_before(session_id: Any, seq: int) -> int:
    """The last run boundary before `seq`: where a fork that replaces the run
    containing `seq` starts."""
    return max(b for b in run_boundaries(session_id) if b < seq)


def check_fork_point(session_id: Any, at: int) -> None:
    """Refuse a fork of a session with an active run, or at a seq that is not a
    run boundary (inside a run, past the end)."""
    if Run.objects.active().filter(session_id=session_id).exists():
        raise ForkRefused("A run is active in this session.", conflict=True)
    if at not in run_boundaries(session_id):
        raise ForkRefused(
            f"seq {at} is not a run boundary: fork at 0 or at the seq of a "
            "run_finished after which no run is open."
        )


def fork_session(session_id: Any, at: int, title: str | None = None) -> ChatSession:
    """Make a fork of the session at `at` (checked first) in one transaction."""
    with transaction.atomic():
        parent = ChatSession.objects.get(pk=session_id)
        check_fork_point(session_id, at)
        now = timezone.now()
        fork = ChatSession.objects.create(
            owner_id=parent.owner_id,
            agent=parent.agent,
            title=parent.title if title is None else title,
            created_at=now,
            last_activity=now,
            last_seq=at,
            parent=parent,
            forked_at=at,
            family=parent.family_root,
        )
        _copy_rows(parent.pk, fork.pk, at)
        AgentState.objects.bulk_create(
            AgentState(
                scope=AgentState.Scope.SESSION,
                agent=parent.agent,
                session=fork,
                key=key,
                value=value,
                updated_at=now,
            )
            for key, value in session_state_at(parent.pk, at).items()
        )
    return fork


@dataclass(frozen=True)
class Retry:
    """Where a new version of a turn starts and what it sends: the boundary
    before the replaced run, and the message (edited, or the same again)."""

    at: int
    text: str


def edit_point(session_id: Any, seq: int, text: str) -> Retry:
    """The retry that replaces the run started by the user message `seq`."""
    run = Run.objects.filter(session_id=session_id, first_seq=seq).first()
    if run is None:
        is_message = (
            Event.objects.for_session(session_id)
            .filter(seq=seq, type="user_message")
            .exists()
        )
        raise ForkRefused(
            f"seq {seq} is a message taken into a running turn, not one that "
            "started a run: edit the message that started it."
            if is_message
            else f"seq {seq} is not a user message of this session."
        )
    return Retry(boundary_before(session_id, seq), text)


def regenerate_point(session_id: Any, run_id: Any = None) -> Retry:
    """The retry that runs a run's message again (by default the last run's)."""
    runs = Run.objects.filter(session_id=session_id, first_seq__isnull=False)
    run = (
        runs.filter(pk=run_id).first()
        if run_id is not None
        else runs.order_by("-first_seq").first()
    )
    if run is None:
        raise ForkRefused(
            "No such run in this session."
            if run_id is not None
            else "This session has no run to regenerate."
        )
    return Retry(boundary_before(session_id, run.first_seq), run.message)


def family_of(session: ChatSession) -> list[ChatSession]:
    """The owner's sessions sharing `session`'s original (itself included),
    oldest first: every version of every turn of the chat."""
    root = session.family_root
    return list(
        ChatSession.objects.filter(owner_id=session.owner_id)
        .filter(Q(pk=root) | Q(family=root))
        .order_by("created_at", "id")
    )


def session_state_at(session_id: Any, at: int) -> dict[str, Any]:
    """The session-scope state as it was after event `at`: every session-scope
    `state_delta` up to there applied in order (a `None` value deletes)."""
    deltas = (
        Event.objects.for_session(session_id)
        .up_to(at)
        .filter(type="state_delta")
        .order_by("seq")
        .values_list("data", flat=True)
    )
    return replay(deltas)


def replay(deltas: Iterable[dict]) -> dict[str, Any]:
    """Session-scope state from `state_delta` data, applied in order."""
    state: dict[str, Any] = {}
    for delta in deltas:
        if delta.get("scope") != AgentState.Scope.SESSION:
            continue
        for key, value in delta.get("changes", {}).items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
    return state


def _copy_rows(parent_id: Any, fork_id: Any, at: int) -> None:
    """Copy the runs begun by `at` (all finished: `at` is a boundary) with new
    ids, then their events (all of them `<= at`) pointing at those copies, each in one
    `INSERT ... SELECT` joined to a table of (old id, new id) pairs."""
    old_ids = list(
        Run.objects.filter(session_id=parent_id, first_seq__lte=at).values_list(
            "pk", flat=True
        )
    )
    conn = connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    run_value = Run._meta.pk.get_db_prep_value
    session_value = ChatSession._meta.pk.get_db_prep_value
    fork, parent = session_value(fork_id, conn), session_value(parent_id, conn)
    runs, events = quote(Run._meta.db_table), quote(Event._meta.db_table)
    columns = [
        f.column
        for f in Run._meta.concrete_fields
        if f.column not in ("id", "session_id")
    ]
    copied = ", ".join(f"r.{quote(c)}" for c in columns)
    named = ", ".join(quote(c) for c in columns)
    with conn.cursor() as cursor:
        for start in range(0, len(old_ids), RUNS_PER_STATEMENT):
            chunk = old_ids[start : start + RUNS_PER_STATEMENT]
            pairs = ", ".join(["(%s, %s)"] * len(chunk))
            mapping: list[Any] = []
            for old in chunk:
                mapping += [run_value(old, conn), run_value(uuid.uuid4(), conn)]
            with_mapping = f"WITH m (old, new) AS (VALUES {pairs}) "
            cursor.execute(
                f"{with_mapping}INSERT INTO {runs} (id, session_id, {named}) "
                f"SELECT m.new, %s, {copied} FROM m CROSS JOIN {runs} r "
                "WHERE r.id = m.old",
                [*mapping, fork],
            )
            cursor.execute(
                f"{with_mapping}INSERT INTO {events} "
                "(session_id, seq, run_id, type, data, ts) "
                f"SELECT %s, e.seq, m.new, e.type, e.data, e.ts FROM m "
                f"CROSS JOIN {events} e WHERE e.run_id = m.old",
                [*mapping, fork],
            )
        cursor.execute(  # events outside any run
            f"INSERT INTO {events} (session_id, seq, run_id, type, data, ts) "
            f"SELECT %s, seq, NULL, type, data, ts FROM {events} "
            "WHERE session_id = %s AND seq <= %s AND run_id IS NULL",
            [fork, parent, at],
        )
        cursor.execute(  # their search entries: the fork has the same owner
            f"INSERT INTO {ENTRIES} (session_id, seq, owner_id, type, ts, body) "
            f"SELECT %s, seq, owner_id, type, ts, body FROM {ENTRIES} "
            "WHERE session_id = %s AND seq <= %s ORDER BY seq",
            [fork, parent, at],
        )
