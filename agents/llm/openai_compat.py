"""A `Model` backed by any server that speaks OpenAI's chat-completions API.

OpenAI itself, vLLM, llama.cpp's server, Ollama, DeepSeek and most hosted gateways
accept the same streaming request, so one client covers them all. The official
`openai` SDK does the HTTP and SSE work; this module only translates between the
project's model protocol and the wire shapes, and decides what a failure means.

Choices worth knowing:

- Retries are done here, not by the SDK (its `max_retries` is 0). The SDK can only
  retry until response headers arrive; a stream can also die after that, before its
  first chunk, and retrying it then is just as safe. Once a chunk has been yielded
  nothing is retried, so streamed text is never duplicated. Only `rate_limited` and
  `unavailable` are retried, a bounded number of times with exponential backoff.
  A server's `Retry-After` is not consulted: the pauses are short and few, and a
  rate limit that outlasts them reaches the agent as a retryable `rate_limited`.
- A timeout is not retried: `timeout` is how long a caller is willing to wait on a
  silent server, and retrying would multiply it. It bounds each wait (connecting,
  and the gap before every piece of the stream), not the whole answer, so a long
  answer that keeps streaming is never cut off.
- Tool-call arguments that are not a JSON object end the turn with a
  `bad_response` error rather than reaching the tool: `ToolCallRequest.args` is
  decoded data, and guessing at broken JSON would run a tool with arguments the
  model never meant.
- Other 4xx answers (a bad model name, a context too long) are `bad_request`, not
  retryable: sending the same request again cannot help.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import ChoiceDeltaToolCall

from agents.llm.base import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    ChatMessage,
    ModelChunk,
    ModelError,
    ReasoningChunk,
    TextChunk,
    ToolCallRequest,
    ToolSpec,
    UsageChunk,
)

# Local servers ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"

# Servers disagree on the name of the reasoning delta: vLLM before 0.10, DeepSeek
# and llama.cpp say `reasoning_content`, newer vLLM and OpenRouter say `reasoning`.
_REASONING_FIELDS = ("reasoning_content", "reasoning")
_RETRIED_CODES = frozenset({"rate_limited", "unavailable"})


class OpenAICompatibleModel:
    """Streams chat completions with native tool calling from `base_url`.

    `base_url` includes the API prefix (`http://localhost:8000/v1`). An empty
    `api_key` is fine for local servers. `timeout` is in seconds (see the module
    docstring for what it bounds); `max_retries` counts retries after the first
    attempt, `retry_backoff` is the first pause between them, doubled each time.
    `max_output_tokens` is sent as `max_tokens`, bounding what a turn writes.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
        retry_backoff: float = 0.5,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
    ) -> None:
        self.name = model
        self.max_output_tokens = max_output_tokens
        self.base_url = base_url
        self._api_key = api_key or PLACEHOLDER_API_KEY
        self._timeout = timeout
        self._max_retries = max_retries
        self._retry_backoff = retry_backoff

    def __repr__(self) -> str:
        return f"OpenAICompatibleModel({self.base_url!r}, model={self.name!r})"

    async def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncIterator[ModelChunk]:
        """Stream one turn, retrying failures that happen before the first chunk."""
        request = self._request(messages, tools)
        for attempt in range(self._max_retries + 1):
            started = False
            try:
                async with contextlib.aclosing(self._attempt(request)) as chunks:
                    async for chunk in chunks:
                        started = True
                        yield chunk
                return
            except ModelError as error:
                last_attempt = attempt == self._max_retries
                if started or last_attempt or error.code not in _RETRIED_CODES:
                    raise
            await asyncio.sleep(self._retry_backoff * 2**attempt)

    def _client(self) -> openai.AsyncOpenAI:
        """A client for one turn, closed with it.

        A connection pool belongs to the event loop that opened it, and a model
        may be used from several loops (async_to_sync, a loop per test); a pool
        outliving its loop fails when it is garbage-collected. A fresh client per
        turn costs one connection setup, small next to a model's answer.
        """
        return openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self._api_key,
            timeout=self._timeout,
            max_retries=0,
            http_client=openai.DefaultAsyncHttpx2Client(verify=_tls_context()),
        )

    def _request(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.name,
            "messages": [_wire_message(message) for message in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": self.max_output_tokens,
        }
        if tools:
            request["tools"] = [_wire_tool(tool) for tool in tools]
        return request

    async def _attempt(self, request: dict[str, Any]) -> AsyncIterator[ModelChunk]:
        """One request: text and reasoning as they come, then tool calls and usage.

        Tool calls wait for the end of the stream because their arguments arrive
        in fragments; usage comes last on the wire anyway.
        """
        calls = _ToolCalls()
        usage: UsageChunk | None = None
        try:
            async with self._client() as client:
                response = await client.chat.completions.create(**request)
                async with response:
                    async for chunk in response:
                        usage = _usage(chunk) or usage
                        for item in _deltas(chunk, calls):
                            yield item
        except openai.APIError as error:
            raise _model_error(error) from error
        except (ValueError, TypeError, AttributeError) as error:
            # Invalid JSON (a ValueError), or JSON of the wrong shape, which the
            # SDK passes on unvalidated and which then fails where it is read.
            raise ModelError(
                "bad_response", f"unreadable chunk from the model server: {error}"
            ) from error
        for call in calls.finish():
            yield call
        if usage is not None:
            yield usage


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The CA bundle, loaded once per process: loading it costs ~20 ms of CPU,
    too long to stall the event loop for at every turn."""
    return httpx2.create_ssl_context()


def _wire_message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": message.content,
        }
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name:
        wire["name"] = message.name
    if message.tool_calls:
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {
                "id": call.call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.args)},
            }
            for call in message.tool_calls
        ]
    return wire


def _wire_tool(tool: ToolSpec) -> dict[str, Any]:
    parameters = tool.parameters or {"type": "object", "properties": {}}
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": parameters,
        },
    }


def _deltas(chunk: ChatCompletionChunk, calls: _ToolCalls) -> Iterator[ModelChunk]:
    """Text and reasoning of one chunk; tool-call fragments go into `calls`."""
    for choice in chunk.choices or ():
        delta = choice.delta
        if delta is None:
            continue
        for name in _REASONING_FIELDS:
            reasoning = getattr(delta, name, None)
            if isinstance(reasoning, str) and reasoning:
                yield ReasoningChunk(reasoning)
                break
        if delta.content:
            yield TextChunk(delta.content)
        for fragment in delta.tool_calls or ():
            calls.add(fragment)


def _usage(chunk: ChatCompletionChunk) -> UsageChunk | None:
    """The chunk's token counts; servers that repeat them send running totals."""
    usage = chunk.usage
    if usage is None:
        return None
    return UsageChunk(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
    )


@dataclass
class _PartialCall:
    call_id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class _ToolCalls:
    """Tool calls assembled from fragments keyed by `index`.

    The first fragment of a call carries its id and name, later ones only pieces
    of the arguments' JSON text.
    """

    def __init__(self) -> None:
        self._calls: dict[int, _PartialCall] = {}

    def add(self, fragment: ChoiceDeltaToolCall) -> None:
        call = self._calls.setdefault(fragment.index, _PartialCall())
        if fragment.id:
            call.call_id = fragment.id
        function = fragment.function
        if function is not None:
            if function.name:
                call.name = function.name
            if function.arguments:
                call.arguments.append(function.arguments)

    def finish(self) -> list[ToolCallRequest]:
        return [_decode(call) for _, call in sorted(self._calls.items())]


def _decode(call: _PartialCall) -> ToolCallRequest:
    if not call.name:
        raise ModelError("bad_response", "the model sent a tool call without a name")
    text = "".join(call.arguments).strip() or "{}"
    try:
        args = json.loads(text)
    except ValueError:
        args = None
    if not isinstance(args, dict):
        raise ModelError(
            "bad_response",
            f"the model called {call.name} with arguments that are not a JSON "
            f"object: {text[:200]}",
        )
    # Some servers omit ids; the agent still needs one to pair call and result.
    call_id = call.call_id or f"call_{uuid.uuid4().hex[:24]}"
    return ToolCallRequest(call_id=call_id, name=call.name, args=args)


def _model_error(error: openai.APIError) -> ModelError:
    """The project's reading of an SDK failure: a code and whether to try again."""
    if isinstance(error, openai.APITimeoutError):
        return ModelError(
            "timeout", "the model server did not answer in time", retryable=True
        )
    if isinstance(error, openai.APIConnectionError):
        return ModelError(
            "unavailable", f"cannot reach the model server: {error}", retryable=True
        )
    if isinstance(error, openai.APIResponseValidationError):
        return ModelError("bad_response", str(error))
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        if status in (401, 403):
            return ModelError("auth", str(error))
        if status == 429:
            return ModelError("rate_limited", str(error), retryable=True)
        if status == 408:
            return ModelError("timeout", str(error), retryable=True)
        if status >= 500:
            return ModelError("unavailable", str(error), retryable=True)
        return ModelError("bad_request", str(error))
    # An error object sent inside the stream: the server failed mid-generation.
    return ModelError(
        "unavailable", f"the model server failed: {error}", retryable=True
    )
