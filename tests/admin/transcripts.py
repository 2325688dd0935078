"""Realistic transcripts for admin tests, written through the engine's own storage
functions so seqs, runs and `run_finished` events are exactly what production makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

from agents.events import (
    ApprovalRequested,
    ApprovalResolved,
    Error,
    Final,
    PersistedEvent,
    RunFinished,
    RunStarted,
    StateDelta,
    Thought,
    ToolCall,
    ToolError,
    ToolResult,
)
from conversations.engine.admission import admit_message
from conversations.engine.storage import finish_run, write_batch
from conversations.models import AgentState, Approval, ChatSession, Event, Feedback

USAGE = {"input_tokens": 120, "output_tokens": 30}


def add_turn(
    session: ChatSession,
    text: str,
    steps: Sequence[PersistedEvent] = (),
    status: str = "succeeded",
    batch_size: int = 500,
):
    """One user message and the agent's work on it, finished with `status`."""
    admission = admit_message(session.pk, text, None, "reject", 60.0)
    events = [RunStarted(session.agent), *steps]
    for start in range(0, len(events), batch_size):
        write_batch(session.pk, admission.run_id, events[start : start + batch_size])
    error = "" if status == "succeeded" else f"the run {status}"
    finish_run(
        admission.run_id, session.pk, [], RunFinished(status, 1530.0, USAGE), error
    )
    return admission.run_id


def steered_turn(session: ChatSession, text: str, steer: str, answer: str):
    """A turn the person steered: `steer` sent while the agent was thinking,
    admitted under the steer policy as the engine does, so it is stored as the
    working run's `user_message` marked `steer`, inside that run."""
    admission = admit_message(session.pk, text, None, "reject", 60.0)
    write_batch(
        session.pk, admission.run_id, [RunStarted(session.agent), Thought("hmm")]
    )
    steered = admit_message(session.pk, steer, None, "steer", 60.0)
    assert steered.steered and steered.run_id == admission.run_id
    write_batch(session.pk, admission.run_id, [Final(answer)])
    finish_run(admission.run_id, session.pk, [], RunFinished("succeeded", 900.0, USAGE))
    return admission.run_id


def approval_transcript(session: ChatSession) -> ChatSession:
    """A turn whose gated call was asked for, edited by its owner, and run, and a
    turn whose call was rejected: what a reviewer checks of approvals."""
    add_turn(
        session,
        "Save a note: call the bank",
        [
            ToolCall("c1", "save_note", {"text": "call the bank"}),
            ApprovalRequested(
                "0b5cfc3c-8d3e-4a57-9d7c-1d7d63a0b001",
                "c1",
                "save_note",
                {"text": "call the bank"},
                "owner",
                "2026-12-08T10:00:00Z",
            ),
            ApprovalResolved(
                "0b5cfc3c-8d3e-4a57-9d7c-1d7d63a0b001",
                "c1",
                "edited",
                {"text": "call the bank at 9"},
                "",
                "alice",
            ),
            ToolResult("c1", "save_note", {"saved": "call the bank at 9"}, 3.0),
            Final("Saved your note: “call the bank at 9”."),
        ],
    )
    add_turn(
        session,
        "Save a note: sell everything",
        [
            ToolCall("c1", "save_note", {"text": "sell everything"}),
            ApprovalResolved(
                "0b5cfc3c-8d3e-4a57-9d7c-1d7d63a0b002",
                "c1",
                "rejected",
                {"text": "sell everything"},
                "too risky",
                "alice",
            ),
            ToolError("c1", "save_note", "not run: rejected", code="rejected"),
            Final("I didn't save the note."),
        ],
    )
    session.refresh_from_db()
    return session


def requested_approvals(
    session: ChatSession, tools: Sequence[str], approver: str = "owner"
) -> list[Approval]:
    """A turn whose calls of `tools` each asked for approval and got no answer:
    `Approval` rows and their `approval_requested` events, stored together by the
    engine's storage as a run makes them, without running an agent."""
    expires = (timezone.now() + timedelta(days=1)).isoformat()
    steps: list[PersistedEvent] = []
    ids = []
    for i, tool in enumerate(tools):
        ids.append(str(uuid.uuid4()))
        args = {"text": f"note {i}"}
        steps.append(ToolCall(f"c{i}", tool, args))
        steps.append(ApprovalRequested(ids[-1], f"c{i}", tool, args, approver, expires))
    add_turn(session, "Save these notes", steps)
    return list(Approval.objects.filter(pk__in=ids))


def rate_answer(session: ChatSession, rating: int, comment: str = "") -> Feedback:
    """The owner's thumbs on the session's latest answer."""
    answer = Event.objects.filter(session=session, type="final").latest("seq")
    return Feedback.objects.create(event=answer, rating=rating, comment=comment)


def full_transcript(session: ChatSession) -> ChatSession:
    """Every kind of event a reviewer meets: a good turn with a tool call and state,
    and a failed turn with a tool error and an error."""
    add_turn(
        session,
        "What is 2 + 2?",
        [
            Thought("The user wants a sum; the add tool is exact."),
            ToolCall("c1", "add", {"a": 2, "b": 2}),
            ToolResult("c1", "add", 4, 12.5),
            StateDelta("session", {"last_sum": 4}),
            Final("2 + 2 is 4."),
        ],
    )
    rate_answer(session, -1, "I wanted the working shown")
    add_turn(
        session,
        "Now divide it by zero",
        [
            ToolCall("c1", "divide", {"a": 4, "b": 0}),
            ToolError("c1", "divide", "division by zero"),
            Error("model_error", "the model gave up"),
        ],
        status="failed",
    )
    AgentState.objects.create(
        scope="session", agent=session.agent, session=session, key="last_sum", value=4
    )
    session.refresh_from_db()
    return session


def long_transcript(session: ChatSession, events: int) -> ChatSession:
    """One run of `events` events in all (thought, call, result, repeated)."""
    cycle = [
        lambda i: Thought(f"step {i}: look it up"),
        lambda i: ToolCall(f"c{i}", "lookup", {"n": i}),
        lambda i: ToolResult(f"c{i}", "lookup", {"value": i * 2}, 3.2),
    ]
    body = events - 3  # user_message, run_started and run_finished
    steps = [cycle[i % 3](i // 3) for i in range(body - 1)] + [Final("done")]
    add_turn(session, "Walk the whole table", steps)
    session.refresh_from_db()
    return session
