"""Between events and model messages: rebuilding context, following the answer.

The one source of truth is the event transcript. This module turns it back into
the chat messages a model reads (so any process can continue any session), and
tracks which streamed text is the answer so far (for a cancelled run's partial
`final`). Tool outcomes are sent to models as JSON, `{"result": ...}` or
`{"error": ...}`, in one place, so both directions agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import assert_never

from agents.events import (
    ApprovalRequested,
    ApprovalResolved,
    AwaitingApproval,
    Delta,
    Error,
    Event,
    Final,
    GatedCallStarting,
    Info,
    PersistedEvent,
    RunFinished,
    RunStarted,
    RunStatus,
    StateDelta,
    Thought,
    ToolCall,
    ToolError,
    ToolResult,
    UserMessage,
)
from agents.llm.base import ChatMessage, ToolCallRequest

# One encoder for every tool message: `json.dumps(..., default=str)` builds a new
# encoder per call, a third of the cost of a tool message in a long context.
_RESULT_ENCODER = json.JSONEncoder(default=str)


def tool_message(outcome: ToolResult | ToolError) -> ChatMessage:
    """The `tool` message that reports one call's outcome to the model."""
    match outcome:
        case ToolResult(result=result):
            content = _RESULT_ENCODER.encode({"result": result})
        case ToolError(error=error):
            content = json.dumps({"error": error})
        case _:
            assert_never(outcome)
    return ChatMessage("tool", content, tool_call_id=outcome.call_id, name=outcome.tool)


def call_messages(call: ToolCall, outcome: ToolResult | ToolError) -> list[ChatMessage]:
    """One finished call as the model reads it: the assistant asking for it,
    then the tool's answer."""
    request = ToolCallRequest(call.call_id, call.tool, call.args)
    return [ChatMessage("assistant", tool_calls=(request,)), tool_message(outcome)]


# The event types `history_messages` reads; a store may load only these.
CONTEXT_TYPES = frozenset(
    {"user_message", "tool_call", "tool_result", "tool_error", "final"}
)


def history_messages(events: Iterable[PersistedEvent]) -> list[ChatMessage]:
    """The chat messages of earlier runs: user messages, final answers, and each
    tool call with its outcome (an assistant message asking for the call, then the
    tool message).

    Thoughts are left out: they were the model's working, and feeding a model its
    own reasoning back as if it had said it confuses more than it helps. A call
    without an outcome (its run was cancelled) is dropped, since chat APIs refuse
    a tool call that is never answered.
    """
    messages: list[ChatMessage] = []
    pending: dict[str, ToolCall] = {}
    for event in events:
        match event:  # the commonest first: each case is an isinstance check
            case ToolCall(call_id=call_id):
                pending[call_id] = event
            case ToolResult(call_id=call_id) | ToolError(call_id=call_id):
                call = pending.pop(call_id, None)
                if call is not None:
                    messages += call_messages(call, event)
            case UserMessage(text=text):
                messages.append(ChatMessage("user", text))
            case Final(text=text):
                messages.append(ChatMessage("assistant", text))
            case (
                RunStarted()
                | Info()
                | Thought()
                | ApprovalRequested()
                | ApprovalResolved()
                | StateDelta()
                | Error()
                | RunFinished()
            ):
                pass
            case _:
                assert_never(event)
    return messages


class PartialAnswer:
    """The answer text written so far in one run, fed every event in order.

    Deltas are the answer being written, until the model turns out to have asked
    for tools in the same turn: then that text was reasoning (it comes back as a
    `thought`) and the answer starts over. Use it to store a cancelled run's
    partial `final`.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def feed(self, event: Event) -> None:
        match event:
            case Delta(text=text):
                self._parts.append(text)
            case Thought() | ToolCall() | Final():
                self._parts.clear()
            case (
                UserMessage()
                | RunStarted()
                | Info()
                | ToolResult()
                | ToolError()
                | ApprovalRequested()
                | ApprovalResolved()
                | StateDelta()
                | Error()
                | RunFinished()
                | AwaitingApproval()
                | GatedCallStarting()
            ):
                pass
            case _:
                assert_never(event)


def closing_events(
    answer: PartialAnswer, status: RunStatus, duration_ms: float, usage: dict[str, int]
) -> list[Final | RunFinished]:
    """A run's last events, built in this one place for the agent loop and the run
    engine alike: the answer written so far when a cancel cut it short (marked
    `partial`), then the run's one `run_finished`."""
    events: list[Final | RunFinished] = []
    if status == RunStatus.CANCELLED and answer.text:
        events.append(Final(answer.text, partial=True))
    events.append(RunFinished(status, duration_ms, usage))
    return events
