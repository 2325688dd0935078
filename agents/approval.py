"""Which tool calls wait for a person, and what a decision means to the run.

An agent's `ApprovalPolicy` (the definition's `[approval]` table, plus tools
that declare `needs_approval`) gates calls. The agent loop asks for a decision
with an `approval_requested` event and stops; nothing is held in memory. When
every call of the turn is decided, whoever drives the run starts it again with
the run's stored events (`progress`), and `open_calls` reads from them what is
left to do: run the approved calls with the decided arguments, tell the model
about the rejected and expired ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from agents.events import (
    ApprovalResolved,
    PersistedEvent,
    ToolCall,
    ToolError,
    ToolResult,
)

if TYPE_CHECKING:
    from agents.tools import Tool

APPROVERS = ("owner", "staff")
DEFAULT_EXPIRES_SECONDS = 86_400


class Decision(StrEnum):
    """What became of a gated call."""

    APPROVED = "approved"
    EDITED = "edited"  # approved with changed arguments
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def runs(self) -> bool:
        return self in (Decision.APPROVED, Decision.EDITED)


@dataclass(frozen=True)
class ApprovalPolicy:
    """Tools (names or shell-style patterns) whose calls need a decision, who
    decides ("owner" or "staff"), and how long a request stays open."""

    tools: tuple[str, ...] = ()
    approver: str = "owner"
    expires_seconds: int = DEFAULT_EXPIRES_SECONDS

    def __post_init__(self) -> None:
        if self.approver not in APPROVERS:
            raise ValueError(f"approver must be one of {APPROVERS}")
        if self.expires_seconds < 1:
            raise ValueError("expires_seconds must be at least 1")

    def gates(self, tool: Tool) -> bool:
        return tool.needs_approval or any(
            fnmatchcase(tool.name, pattern) for pattern in self.tools
        )

    def expiry(self) -> str:
        """When a request made now expires, as the events spell times."""
        at = datetime.now(UTC) + timedelta(seconds=self.expires_seconds)
        return at.isoformat().replace("+00:00", "Z")


def schema_digest(tool: Tool) -> str:
    """A short digest of what a tool takes: consent given to one schema does not
    carry over to a tool whose arguments changed."""
    text = json.dumps(tool.parameters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class OpenCall:
    """A call of the run with a decision and no outcome yet."""

    call: ToolCall
    decision: ApprovalResolved

    @property
    def decision_runs(self) -> bool:
        return Decision(self.decision.decision).runs

    def refusal(self) -> ToolError:
        """The outcome the model reads for a call that will not run."""
        decision = Decision(self.decision.decision)
        reason = f": {self.decision.reason}" if self.decision.reason else ""
        said = (
            "nobody decided in time, so it did not run"
            if decision == Decision.EXPIRED
            else f"the person reviewing it rejected it{reason}"
        )
        return ToolError(
            self.call.call_id, self.call.tool, f"not run: {said}", code=decision
        )


def open_calls(progress: Sequence[PersistedEvent]) -> list[OpenCall]:
    """The decided calls of a run's stored events that have no outcome yet, in
    the order they were asked for."""
    calls: dict[str, ToolCall] = {}
    decided: dict[str, ApprovalResolved] = {}
    for event in progress:
        match event:
            case ToolCall(call_id=call_id):
                calls[call_id] = event
            case ApprovalResolved(call_id=call_id):
                decided[call_id] = event
            case ToolResult(call_id=call_id) | ToolError(call_id=call_id):
                calls.pop(call_id, None)
    return [
        OpenCall(call, decided[call_id])
        for call_id, call in calls.items()
        if call_id in decided
    ]
