"""The event vocabulary: every step an agent reports, as small frozen objects.

These are the persisted event types of the wire contract (PROTOCOL.md section 1)
plus the live-only `Delta`. Each class has a `Literal` `type` and one
serialisation, `to_wire()`, into the envelope's `type`/`data`; `from_wire()` is
its inverse. Code that consumes events matches on the class and ends with
`assert_never`, so a new event type cannot be forgotten silently.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal


class RunStatus(StrEnum):
    """A run's lifecycle, the one spelling of it: the agent loop reports the
    finished ones, the run engine (and its database column) all of them."""

    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


FINISHED_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.INTERRUPTED}
)
StateScope = Literal["session", "user", "agent", "temp"]


@dataclass(frozen=True, slots=True)
class UserMessage:
    """A person's message; `steer` when it was sent into a working run."""

    text: str
    client_id: str | None = None
    steer: bool = False
    type: ClassVar[Literal["user_message"]] = "user_message"


@dataclass(frozen=True, slots=True)
class RunStarted:
    agent: str
    type: ClassVar[Literal["run_started"]] = "run_started"


@dataclass(frozen=True, slots=True)
class Info:
    text: str
    type: ClassVar[Literal["info"]] = "info"


@dataclass(frozen=True, slots=True)
class Thought:
    text: str
    type: ClassVar[Literal["thought"]] = "thought"


@dataclass(frozen=True, slots=True)
class ToolCall:
    call_id: str
    tool: str
    args: dict[str, Any]
    type: ClassVar[Literal["tool_call"]] = "tool_call"


@dataclass(frozen=True, slots=True)
class ToolResult:
    call_id: str
    tool: str
    result: Any
    duration_ms: float
    type: ClassVar[Literal["tool_result"]] = "tool_result"


@dataclass(frozen=True, slots=True)
class ToolError:
    """A call that produced no result. `code` says why when a person or the
    engine decided it: "rejected", "expired", "in_doubt"."""

    call_id: str
    tool: str
    error: str
    code: str | None = None
    type: ClassVar[Literal["tool_error"]] = "tool_error"


@dataclass(frozen=True, slots=True)
class ApprovalRequested:
    """A gated call waits for a person: `approver` is "owner" or "staff",
    `expires_at` an ISO 8601 UTC time."""

    approval: str
    call_id: str
    tool: str
    args: dict[str, Any]
    approver: str
    expires_at: str
    type: ClassVar[Literal["approval_requested"]] = "approval_requested"


@dataclass(frozen=True, slots=True)
class ApprovalResolved:
    """The decision on a gated call: "approved", "edited" (approved with other
    `args`), "rejected" or "expired"; `by` is the deciding user's name, None for
    an expiry or a remembered grant (then `grant` names it)."""

    approval: str
    call_id: str
    decision: str
    args: dict[str, Any]
    reason: str
    by: str | None
    grant: str | None = None
    type: ClassVar[Literal["approval_resolved"]] = "approval_resolved"


@dataclass(frozen=True, slots=True)
class StateDelta:
    """A change to agent state; a `None` value means the key was deleted."""

    scope: StateScope
    changes: dict[str, Any]
    type: ClassVar[Literal["state_delta"]] = "state_delta"


@dataclass(frozen=True, slots=True)
class Final:
    """The agent's answer. `partial` marks an answer cut short by a cancel."""

    text: str
    partial: bool = False
    type: ClassVar[Literal["final"]] = "final"


@dataclass(frozen=True, slots=True)
class Error:
    code: str
    message: str
    type: ClassVar[Literal["error"]] = "error"


@dataclass(frozen=True, slots=True)
class RunFinished:
    status: RunStatus
    duration_ms: float
    usage: dict[str, int] = field(
        default_factory=lambda: {"input_tokens": 0, "output_tokens": 0}
    )
    type: ClassVar[Literal["run_finished"]] = "run_finished"


@dataclass(frozen=True, slots=True)
class Delta:
    """A chunk of the answer being written: delivered live, never stored."""

    text: str
    type: ClassVar[Literal["delta"]] = "delta"


@dataclass(frozen=True, slots=True)
class AwaitingApproval:
    """A signal to whoever drives the run, never stored or sent: the run's
    gated calls wait for decisions, so it stops here without a `run_finished`
    and is resumed from its stored events once they are decided."""

    type: ClassVar[Literal["awaiting_approval"]] = "awaiting_approval"


@dataclass(frozen=True, slots=True)
class GatedCallStarting:
    """A signal, never stored or sent: an approved call is about to run. The
    agent waits at this yield, so the driver can make the start durable before
    the side effect (a crash after it leaves the call in doubt, never re-run)."""

    call_id: str
    tool: str
    type: ClassVar[Literal["gated_call_starting"]] = "gated_call_starting"


PersistedEvent = (
    UserMessage
    | RunStarted
    | Info
    | Thought
    | ToolCall
    | ToolResult
    | ToolError
    | ApprovalRequested
    | ApprovalResolved
    | StateDelta
    | Final
    | Error
    | RunFinished
)
Signal = AwaitingApproval | GatedCallStarting
Event = PersistedEvent | Delta | Signal

EVENT_CLASSES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        UserMessage,
        RunStarted,
        Info,
        Thought,
        ToolCall,
        ToolResult,
        ToolError,
        ApprovalRequested,
        ApprovalResolved,
        StateDelta,
        Final,
        Error,
        RunFinished,
        Delta,
    )
}
PERSISTED_TYPES: frozenset[str] = frozenset(EVENT_CLASSES) - {Delta.type}
# Fields left out of `data` while at their default: optional additions.
_OMITTED_AT_DEFAULT = frozenset({"client_id", "partial", "code", "grant", "steer"})


def event_data(event: Event) -> dict[str, Any]:
    """The envelope's `data` of an event; optional fields left at their default are
    omitted (`client_id` only when sent, `partial` and `steer` only when true, a tool
    error's `code` and a decision's `grant` only when there is one)."""
    data = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if f.name in _OMITTED_AT_DEFAULT and value == f.default:
            continue
        data[f.name] = value
    return data


def to_wire(event: Event) -> dict[str, Any]:
    """The envelope's `type` and `data` of an event."""
    return {"type": event.type, "data": event_data(event)}


def from_wire(type_: str, data: dict[str, Any]) -> Event:
    """Rebuild an event from its envelope's `type` and `data`.

    Raises `ValueError` for an unknown type and `TypeError` for data that does not
    fit it.
    """
    try:
        cls = EVENT_CLASSES[type_]
    except KeyError:
        raise ValueError(f"unknown event type {type_!r}") from None
    return cls(**data)
