"""The model protocol: what an agent needs from a language model, and no more.

A model takes the conversation so far and the tools it may call, and streams
chunks back: text of the answer, reasoning text (reported as thoughts), requests
to call tools, and token usage. Backends (the bundled offline model, the
OpenAI-compatible client) implement `Model`; the agent loop never knows which one
it is talking to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    """The model asks for `name` to be called with `args` (already JSON-decoded)."""

    call_id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of the model's context, in the shape chat APIs share."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCallRequest, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model sees it: name, description and JSON schema of its args."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextChunk:
    """A piece of the answer text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningChunk:
    """A piece of the model's reasoning, shown to users as a thought."""

    text: str


@dataclass(frozen=True, slots=True)
class UsageChunk:
    input_tokens: int
    output_tokens: int


ModelChunk = TextChunk | ReasoningChunk | ToolCallRequest | UsageChunk


class ModelError(Exception):
    """A model backend failed in a way the agent reports as an `error` event.

    `code` is a short machine-readable reason (`auth`, `rate_limited`,
    `unavailable`, `timeout`, `bad_response`); `retryable` says whether trying
    again later could help.
    """

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


@runtime_checkable
class Model(Protocol):
    """A streaming chat model with tool calling."""

    name: str

    def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncIterator[ModelChunk]:
        """Stream one turn: chunks of text/reasoning, tool-call requests, usage."""
        ...
