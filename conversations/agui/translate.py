"""One run's events as AG-UI events, each framed for SSE with a resumable id.

Our stored events say what happened once it happened; AG-UI brackets each
construct with a start and an end. `RunTranslator` keeps what it opened, so
every bracket is closed, whatever ends the run, and the client's own
verification of the stream holds.

Ids. Every frame's SSE `id` is the seq of the stored event it comes from; a
live delta's is `<seq>.<n>`, its place after that event. A client reconnecting
with either gets everything stored after that seq (see `views`). AG-UI
message ids derive from seqs too, so a snapshot names what the live stream
named: `u-<seq>` (or the sender's own message id) for a person's message,
`r-<seq>` for reasoning, `c-<seq>` for a tool call's message, `t-<seq>` for its
result, `a-<seq>` for an answer, numbered by the event the answer was written
after.

Deltas. An answer streams as `TEXT_MESSAGE_CONTENT` as it is written and is
closed when it is stored. A stream that joins a run part way (a resumed or a
second stream) cannot know how much of an answer in progress it missed, so it
leaves that answer's deltas out and sends the stored answer whole.
"""

from __future__ import annotations

import json
from typing import Any

from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    Interrupt,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunErrorEvent,
    RunFinishedCancelledOutcome,
    RunFinishedEvent,
    RunFinishedInterruptOutcome,
    RunFinishedSuccessOutcome,
    RunStartedEvent,
    StateDeltaEvent,
    StateSnapshotEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    TokenUsage,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from agents.events import RunStatus

PROTOCOL_VERSION = "1.0"
# Names of the CUSTOM events that carry what AG-UI has no event for.
CUSTOM_PREFIX = "agentsite."
SESSION_SCOPE = "session"


def sse(event_id: str, event: BaseEvent) -> str:
    """An AG-UI event as one SSE frame: the package's own JSON (camelCase,
    optional fields left out), with the id a reconnect resumes from."""
    return f"id: {event_id}\ndata: {event.model_dump_json(by_alias=True)}\n\n"


def user_message_id(seq: int, client_id: str | None) -> str:
    return client_id or f"u-{seq}"


def json_text(value: Any) -> str:
    """JSON with sorted keys: PostgreSQL's jsonb reorders keys, and what a
    snapshot or a resumed stream reads back must read as the live one did."""
    return json.dumps(value, sort_keys=True)


def tool_content(result: Any) -> str:
    """A tool's result as the text AG-UI carries (JSON unless it is text)."""
    return result if isinstance(result, str) else json_text(result)


def pointer(key: str) -> str:
    """The JSON Pointer of a top-level state key (RFC 6901 escaping)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def interrupt_of(approval: dict) -> Interrupt:
    """A pending approval as the interrupt a resume entry answers."""
    return Interrupt(
        id=approval["approval"],
        reason="tool_approval",
        message=f"The agent wants to call {approval['tool']}: approve or reject it.",
        tool_call_id=approval["call_id"],
        expires_at=approval["expires_at"],
        response_schema=DECISION_SCHEMA,
        metadata={
            "tool": approval["tool"],
            "args": approval["args"],
            "approver": approval["approver"],
        },
    )


# What a resume entry's payload may say (docs/agui.md); `conversations.agui.inputs`
# reads it with the one decision rule every way of deciding shares.
DECISION_SCHEMA = {
    "type": "object",
    "properties": {
        "decision": {"enum": ["approve", "reject"]},
        "args": {"type": "object", "description": "edited arguments to approve"},
        "reason": {"type": "string"},
        "remember": {"enum": ["session", "agent"]},
    },
    "required": ["decision"],
}


class RunTranslator:
    """Translates the frames of one run, in seq order, to SSE-framed AG-UI events.

    `first_seq` is the run's opening user message, which the client sent and
    is not told back; `joined` says the stream starts part way into the run;
    `state` is the session-scope state at the stream's start and `pending` the
    approvals then waiting (both from `history` for a resumed stream).
    """

    def __init__(
        self,
        thread_id: str,
        run_id: str,
        first_seq: int | None,
        *,
        joined: bool,
        state: dict[str, Any],
        pending: dict[str, dict] | None = None,
    ) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self.first_seq = first_seq
        self.state = dict(state)
        self.pending: dict[str, dict] = dict(pending or {})
        self.finished = False
        self._last = 0  # seq of the last stored frame seen
        self._deltas = 0  # deltas since it
        self._text: str | None = None  # the answer being streamed, if any
        self._written: list[str] = []
        self._skip_deltas = joined  # until the run stores its next step
        self._error: tuple[str, str] | None = None

    @property
    def streamed(self) -> int:
        """The seq of the last stored event this stream has translated."""
        return self._last

    def opening(self, cursor: int) -> list[str]:
        """What every stream starts with: the run, then the state it starts from."""
        self._last = cursor
        started = RunStartedEvent(
            thread_id=self.thread_id,
            run_id=self.run_id,
            protocol_version=PROTOCOL_VERSION,
        )
        snapshot = StateSnapshotEvent(snapshot=self.state)
        return [sse(str(cursor), started), sse(str(cursor), snapshot)]

    def feed(self, frame: dict) -> list[str]:
        """The SSE frames for one of our wire frames (stored or a live delta)."""
        envelope = json.loads(frame["json"])
        if frame["seq"] is None:
            return self._delta(envelope["data"]["text"])
        seq = frame["seq"]
        self._last, self._deltas = seq, 0
        events = self._stored(seq, envelope["type"], envelope["data"])
        return [sse(str(seq), event) for event in events]

    def interrupt(self, approvals: list[dict]) -> list[str]:
        """The run waits for `approvals` (as `approval_requested` data): the
        stream ends here, with what a resume must answer."""
        self.finished = True
        outcome = RunFinishedInterruptOutcome(
            interrupts=[interrupt_of(a) for a in approvals]
        )
        events = [*self._close_text(), self._run_finished(outcome)]
        return [sse(str(self._last), event) for event in events]

    def gone(self) -> list[str]:
        """The session was deleted mid-run: the stream ends with an error."""
        self.finished = True
        events = [
            *self._close_text(),
            RunErrorEvent(message="The thread was deleted.", code="session_deleted"),
        ]
        return [sse(str(self._last), event) for event in events]

    def _delta(self, text: str) -> list[str]:
        if self._skip_deltas or not text:
            return []
        self._deltas += 1
        events: list[BaseEvent] = []
        if self._text is None:
            self._text = f"a-{self._last}"
            events.append(
                TextMessageStartEvent(message_id=self._text, role="assistant")
            )
        self._written.append(text)
        events.append(TextMessageContentEvent(message_id=self._text, delta=text))
        event_id = f"{self._last}.{self._deltas}"
        return [sse(event_id, event) for event in events]

    def _stored(self, seq: int, type_: str, data: dict) -> list[BaseEvent]:
        if type_ != "user_message":
            self._skip_deltas = False  # the run's next deltas start a new stretch
        match type_:
            case "user_message":
                return self._user_message(seq, data)
            case "run_started":
                return []  # RUN_STARTED opened the stream
            case "thought":
                return self._thought(seq, data["text"])
            case "tool_call":
                return [*self._close_text(), *self._tool_call(seq, data)]
            case "tool_result":
                content = tool_content(data["result"])
                return [self._tool_result(seq, data["call_id"], content)]
            case "tool_error":
                metadata = {"error": data["error"], "code": data.get("code")}
                return [
                    self._tool_result(seq, data["call_id"], data["error"], metadata)
                ]
            case "state_delta":
                return self._state_delta(data)
            case "final":
                return self._final(seq, data["text"])
            case "error":
                self._error = (data["code"], data["message"])
                return []
            case "approval_requested":
                self.pending[data["approval"]] = data
                return [self._custom(type_, data)]
            case "approval_resolved":
                self.pending.pop(data["approval"], None)
                return [self._custom(type_, data)]
            case "run_finished":
                return self._run_end(data)
            case _:  # info, and what later versions add
                return [self._custom(type_, data)]

    def _user_message(self, seq: int, data: dict) -> list[BaseEvent]:
        if seq == self.first_seq:
            return []  # the client's own message, which started this run
        message_id = user_message_id(seq, data.get("client_id"))
        return [
            *self._close_text(),
            TextMessageStartEvent(message_id=message_id, role="user"),
            TextMessageContentEvent(message_id=message_id, delta=data["text"]),
            TextMessageEndEvent(message_id=message_id),
        ]

    def _thought(self, seq: int, text: str) -> list[BaseEvent]:
        if self._text is not None and "".join(self._written) == text:
            # Text the model wrote beside tool calls (or before a steer): it
            # streamed as text, and is stored as a thought. Close it as it is.
            return self._close_text()
        message_id = f"r-{seq}"
        events: list[BaseEvent] = [*self._close_text()]
        events += [
            ReasoningStartEvent(message_id=message_id),
            ReasoningMessageStartEvent(message_id=message_id),
        ]
        if text:
            events.append(
                ReasoningMessageContentEvent(message_id=message_id, delta=text)
            )
        events += [
            ReasoningMessageEndEvent(message_id=message_id),
            ReasoningEndEvent(message_id=message_id),
        ]
        return events

    def _tool_call(self, seq: int, data: dict) -> list[BaseEvent]:
        call_id = data["call_id"]
        return [
            ToolCallStartEvent(
                tool_call_id=call_id,
                tool_call_name=data["tool"],
                parent_message_id=f"c-{seq}",
            ),
            ToolCallArgsEvent(tool_call_id=call_id, delta=json_text(data["args"])),
            ToolCallEndEvent(tool_call_id=call_id),
        ]

    def _tool_result(
        self, seq: int, call_id: str, content: str, metadata: dict | None = None
    ) -> BaseEvent:
        return ToolCallResultEvent(
            message_id=f"t-{seq}",
            tool_call_id=call_id,
            content=content,
            role="tool",
            metadata=metadata,
        )

    def _state_delta(self, data: dict) -> list[BaseEvent]:
        if data["scope"] != SESSION_SCOPE:
            # User- and agent-scope state outlives the thread: not its state.
            return [self._custom("state_delta", data)]
        patch = []
        for key, value in data["changes"].items():
            if value is None:
                if key in self.state:
                    del self.state[key]
                    patch.append({"op": "remove", "path": pointer(key)})
            else:
                self.state[key] = value
                patch.append({"op": "add", "path": pointer(key), "value": value})
        return [StateDeltaEvent(delta=patch)] if patch else []

    def _final(self, seq: int, text: str) -> list[BaseEvent]:
        if self._text is not None:
            return self._close_text()
        message_id = f"a-{seq - 1}"
        events: list[BaseEvent] = [
            TextMessageStartEvent(message_id=message_id, role="assistant")
        ]
        if text:
            events.append(TextMessageContentEvent(message_id=message_id, delta=text))
        events.append(TextMessageEndEvent(message_id=message_id))
        return events

    def _close_text(self) -> list[BaseEvent]:
        if self._text is None:
            return []
        message_id, self._text, self._written = self._text, None, []
        return [TextMessageEndEvent(message_id=message_id)]

    def _run_end(self, data: dict) -> list[BaseEvent]:
        self.finished = True
        events = self._close_text()
        status = data["status"]
        usage = data.get("usage") or {}
        tokens = [
            TokenUsage(
                input_tokens=usage.get("input_tokens", 0),
                output_tokens=usage.get("output_tokens", 0),
                total_tokens=usage.get("input_tokens", 0)
                + usage.get("output_tokens", 0),
            )
        ]
        if status == RunStatus.SUCCEEDED:
            return [*events, self._run_finished(RunFinishedSuccessOutcome(), tokens)]
        if status == RunStatus.CANCELLED:
            return [*events, self._run_finished(RunFinishedCancelledOutcome(), tokens)]
        code, message = self._error or (status, f"The run ended {status}.")
        return [*events, RunErrorEvent(message=message, code=code, usage=tokens)]

    def _run_finished(self, outcome: Any, usage: list | None = None) -> BaseEvent:
        return RunFinishedEvent(
            thread_id=self.thread_id, run_id=self.run_id, outcome=outcome, usage=usage
        )

    def _custom(self, type_: str, data: dict) -> BaseEvent:
        return CustomEvent(name=CUSTOM_PREFIX + type_, value=data)
