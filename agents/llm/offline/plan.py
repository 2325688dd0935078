"""What the offline model reads from a conversation, and what it decides.

The model is stateless: everything it knows comes from the messages it is
given. `read_request` splits them into the current user message, this run's
tool outcomes so far (matched to calls by id) and the outcomes of earlier runs
(for follow-up questions). A skill turns a `Request` into the next `Step`
(tool calls) or the `Answer`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agents.llm.base import ChatMessage, ToolCallRequest, ToolSpec


@dataclass(frozen=True)
class Outcome:
    """A tool call and what came back: `result`, or `error` when it failed."""

    call_id: str
    name: str
    args: dict[str, Any]
    result: Any = None
    error: str | None = None


@dataclass(frozen=True)
class Request:
    """One turn's view of the conversation: `current` holds this run's tool
    outcomes by call id, `history` the outcomes of earlier runs."""

    text: str
    tools: frozenset[str]
    run_no: int = 1
    current: dict[str, Outcome] = field(default_factory=dict)
    history: tuple[Outcome, ...] = ()
    had_history: bool = False
    instructions: str = ""
    part: int = 0

    def call(self, index: int, name: str, **args: Any) -> ToolCallRequest:
        """The `index`-th call of this run's plan; its id finds its outcome later."""
        return ToolCallRequest(self._call_id(index), name, args)

    def outcome(self, index: int) -> Outcome | None:
        return self.current.get(self._call_id(index))

    def _call_id(self, index: int) -> str:
        # Unique within a session: earlier runs have other numbers, and each
        # question of a message its own part.
        return f"call_{self.run_no}_{self.part}_{index}"

    def asking(self, part: int, text: str, history: tuple[Outcome, ...]) -> Request:
        """The request for one of several questions in the message."""
        return replace(self, text=text, part=part, history=history)

    def outcomes(self) -> tuple[Outcome, ...]:
        """This part's outcomes so far, in the order its calls were numbered."""
        prefix = f"call_{self.run_no}_{self.part}_"
        return tuple(o for o in self.current.values() if o.call_id.startswith(prefix))


@dataclass(frozen=True)
class Step:
    """Tool calls to make next; `topic` is what the question is about."""

    thought: str
    calls: tuple[ToolCallRequest, ...]
    topic: str = ""


@dataclass(frozen=True)
class Answer:
    thought: str
    text: str
    topic: str = ""


Plan = Step | Answer


def read_request(messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]) -> Request:
    """The current question, this run's outcomes and the earlier conversation.

    The current question is every user message since the last answer: a
    message sent while the model worked (steering) joins the one it was
    working on, as its next question, so the answer covers both.
    """
    users = [i for i, message in enumerate(messages) if message.role == "user"]
    waiting = _unanswered(messages)
    first = waiting[0] if waiting else len(messages)
    earlier = messages[:first]
    now = [m for m in messages[first + 1 :] if m.role != "user"]
    return Request(
        text="; ".join(messages[i].content for i in waiting),
        tools=frozenset(spec.name for spec in tools),
        run_no=users.index(first) + 1 if waiting else 0,
        current={outcome.call_id: outcome for outcome in _outcomes(now)},
        history=tuple(_outcomes(earlier)),
        had_history=any(message.role != "system" for message in earlier),
        instructions="\n".join(m.content for m in messages if m.role == "system"),
    )


def _unanswered(messages: Sequence[ChatMessage]) -> list[int]:
    """The indexes of the user messages after the last answer (an assistant
    message with text and no tool calls), oldest first."""
    waiting = []
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role == "assistant" and message.content and not message.tool_calls:
            break
        if message.role == "user":
            waiting.insert(0, index)
    return waiting


def _outcomes(messages: Sequence[ChatMessage]) -> list[Outcome]:
    calls = {call.call_id: call for message in messages for call in message.tool_calls}
    found = []
    for message in messages:
        call = calls.get(message.tool_call_id or "")
        if message.role != "tool" or call is None:
            continue
        try:
            payload = json.loads(message.content)
        except ValueError:
            payload = {"result": message.content}
        if not isinstance(payload, dict):
            payload = {"result": payload}
        error = payload.get("error")
        found.append(
            Outcome(call.call_id, call.name, call.args, payload.get("result"), error)
        )
    return found


def number(value: Any) -> str:
    """A number as a person writes it: 4 not 4.0, 0.3 not 0.30000000000000004."""
    if isinstance(value, float):
        return (
            str(int(value))
            if value.is_integer() and abs(value) < 1e15
            else f"{value:.10g}"
        )
    return str(value)


def reason(error: str) -> str:
    """A tool error without its exception class name."""
    return re.sub(r"^\w+(?:Error|Exception): ", "", error)


def joined(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
