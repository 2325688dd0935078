"""What an AG-UI stream that starts part way needs from the database: the
thread as of a seq (its messages and session-scope state, which open the stream
as snapshots rather than restated deltas), the run to follow, and whether that
run now waits for approvals. Blocking: call through `in_db_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import (
    AssistantMessage,
    FunctionCall,
    Message,
    ReasoningMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)

from conversations.agui.translate import json_text, tool_content, user_message_id
from conversations.engine.forks import replay
from conversations.models import Approval, Event, Run

SNAPSHOT_TYPES = (
    "user_message",
    "thought",
    "tool_call",
    "tool_result",
    "tool_error",
    "final",
    "state_delta",
)


@dataclass
class Thread:
    """A thread as of a seq: its messages and its session-scope state."""

    messages: list[Message] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


def thread_at(session_id: Any, at: int) -> Thread:
    """Every message of the session up to seq `at`, named as the live stream
    names them (`translate`), and its session-scope state then."""
    rows = (
        Event.objects.for_session(session_id)
        .up_to(at)
        .filter(type__in=SNAPSHOT_TYPES)
        .order_by("seq")
        .values_list("seq", "type", "data")
    )
    thread, deltas = Thread(), []
    for seq, type_, data in rows:
        if type_ == "state_delta":
            deltas.append(data)
        elif (message := _message(seq, type_, data)) is not None:
            thread.messages.append(message)
    thread.state = replay(deltas)
    return thread


def _message(seq: int, type_: str, data: dict) -> Message | None:
    match type_:
        case "user_message":
            message_id = user_message_id(seq, data.get("client_id"))
            return UserMessage(id=message_id, content=data["text"])
        case "thought":
            return ReasoningMessage(id=f"r-{seq}", content=data["text"])
        case "tool_call":
            call = ToolCall(
                id=data["call_id"],
                type="function",
                function=FunctionCall(
                    name=data["tool"], arguments=json_text(data["args"])
                ),
            )
            return AssistantMessage(id=f"c-{seq}", tool_calls=[call])
        case "tool_result":
            content = tool_content(data["result"])
            return ToolMessage(
                id=f"t-{seq}", tool_call_id=data["call_id"], content=content
            )
        case "tool_error":
            return ToolMessage(
                id=f"t-{seq}",
                tool_call_id=data["call_id"],
                content=data["error"],
                error=data["error"],
            )
        case "final":
            return AssistantMessage(id=f"a-{seq - 1}", content=data["text"])
    return None


@dataclass(frozen=True)
class FollowedRun:
    run_id: Any
    first_seq: int | None


def run_to_follow(session_id: Any, after: int) -> FollowedRun | None:
    """The run a stream resuming after seq `after` continues: the run of the
    next stored event, else the session's active run, else the oldest queued
    one; None when the thread has nothing left to stream."""
    next_run = (
        Event.objects.for_session(session_id)
        .after(after)
        .exclude(run=None)
        .order_by("seq")
        .values_list("run_id", flat=True)
        .first()
    )
    runs = Run.objects.filter(session_id=session_id).values_list("pk", "first_seq")
    if next_run is not None:
        run = runs.filter(pk=next_run).first()
    else:
        run = runs.filter(status__in=Run.ACTIVE).first() or (
            runs.filter(status=Run.Status.QUEUED).order_by("created_at").first()
        )
    return None if run is None else FollowedRun(*run)


def waiting_approvals(run_id: Any, streamed: int) -> list[dict] | None:
    """The approvals a run waits for, once it has stopped to wait for them and
    a stream that has sent its events up to seq `streamed` has sent them all;
    None while it still works (or is over), or events are left to send."""
    if not Run.objects.filter(pk=run_id, status=Run.Status.AWAITING_APPROVAL).exists():
        return None
    if Event.objects.filter(run_id=run_id, seq__gt=streamed).exists():
        return None
    return pending_approvals(run_id)


def pending_approvals(run_id: Any) -> list[dict]:
    """A run's undecided approvals, as their `approval_requested` data."""
    pending = Approval.objects.pending().filter(run_id=run_id).order_by("requested_at")
    return [
        {
            "approval": str(a.pk),
            "call_id": a.call_id,
            "tool": a.tool,
            "args": a.args,
            "approver": a.approver,
            "expires_at": a.expires_at.isoformat().replace("+00:00", "Z"),
        }
        for a in pending
    ]
