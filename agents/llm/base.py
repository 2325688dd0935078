"""The model protocol: what an agent needs from a language model, and no more.

A model takes the conversation so far and the tools it may call, and streams
chunks back: text of the answer, reasoning text (reported as thoughts), requests
to call tools, and token usage. Backends (the bundled offline model, the
OpenAI-compatible client) implement `Model`; the agent loop never knows which one
it is talking to.
"""

from __future__ import annotations

import json
import math
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
    """A streaming chat model with tool calling.

    A model may say how many tokens one turn writes at most
    (`max_output_tokens`, else `DEFAULT_MAX_OUTPUT_TOKENS` is assumed) and
    count a request's input itself (`count_tokens(messages, tools)`), so a
    turn's cost is known before it is made.
    """

    name: str

    def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncIterator[ModelChunk]:
        """Stream one turn: chunks of text/reasoning, tool-call requests, usage."""
        ...


# Chat servers count about four characters of English a token, and a few
# tokens of framing a message.
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
DEFAULT_MAX_OUTPUT_TOKENS = 4096


@dataclass(frozen=True, slots=True)
class Projection:
    """What one model turn will use at most, before it is made: the input as
    the model is likely to count it, and its output bound."""

    model: str
    input_tokens: int
    output_tokens: int

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def projected(
    model: Model, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
) -> Projection:
    """The projection of a turn of `model` over `messages`: counted by the
    model itself where it can (`count_tokens`), else estimated from the text."""
    count = getattr(model, "count_tokens", None)
    used = (
        count(messages, tools)
        if count is not None
        else estimated_tokens(messages, tools)
    )
    bound = getattr(model, "max_output_tokens", DEFAULT_MAX_OUTPUT_TOKENS)
    return Projection(model.name, used, bound)


def estimated_tokens(messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]) -> int:
    """A generous estimate of a request's input tokens from its characters."""
    chars = sum(
        len(message.content)
        + sum(
            len(call.name) + len(json.dumps(call.args)) for call in message.tool_calls
        )
        for message in messages
    )
    chars += sum(
        len(tool.name) + len(tool.description) + len(json.dumps(tool.parameters))
        for tool in tools
    )
    return math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(messages)
