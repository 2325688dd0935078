"""A local OpenAI-compatible chat-completions server for tests.

It answers `POST /v1/chat/completions` with the real streaming wire format
(`text/event-stream`, one `chat.completion.chunk` per `data:` line, then
`data: [DONE]`), so the OpenAI-compatible client is tested through real HTTP and
the official SDK, never through mocks.

What it says comes from a *backing model*: any object implementing the project's
`Model` protocol. The request's messages and tools are decoded into `ChatMessage`
and `ToolSpec`, the backing model streams in an event loop of the server's own
thread, and each chunk is re-encoded the way vLLM would send it: reasoning as
`delta.reasoning_content`, each tool call split into an id-and-name fragment and
several argument fragments, usage in a last chunk when asked for. Serving the
offline model this way runs the same agent scenarios through the network path.

Tests script failures by queueing faults; each request consumes one.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, assert_never

from agents.llm.base import (
    ChatMessage,
    Model,
    ModelChunk,
    ModelError,
    ReasoningChunk,
    TextChunk,
    ToolCallRequest,
    ToolSpec,
    UsageChunk,
)

# Small, so that even short arguments arrive in several fragments.
ARGUMENT_FRAGMENT_SIZE = 4


@dataclass(frozen=True)
class Status:
    """Answer with this HTTP status and an OpenAI-style error body."""

    code: int


@dataclass(frozen=True)
class Hang:
    """Say nothing for `seconds` (or until the server stops).

    With `after_headers`, a 200 stream is opened first: the server stalls
    mid-answer instead of before it.
    """

    seconds: float = 30.0
    after_headers: bool = False


@dataclass(frozen=True)
class Raw:
    """Open a 200 stream and send these `data:` payloads verbatim, then `[DONE]`.

    For what a well-behaved backing model cannot produce: invalid JSON, broken
    tool-call arguments.
    """

    events: tuple[str, ...]


Fault = Status | Hang | Raw


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the server saw it, for tests to check what the client sent."""

    path: str
    body: dict[str, Any]
    authorization: str | None


class OpenAICompatServer:
    """The server on 127.0.0.1 and a free port, serving in a background thread.

    Use it as a context manager, or call `start()` and `stop()`.
    """

    def __init__(self, backing: Model) -> None:
        self.backing = backing
        self.faults: deque[Fault] = deque()
        self.received: list[ReceivedRequest] = []
        self.stopping = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-compat-server",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> OpenAICompatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> OpenAICompatServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: OpenAICompatServer) -> None:
        super().__init__(address, _Handler)
        self.app = app


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 with chunked bodies, as real servers stream, so connections are
    # kept alive and reused by the client between requests.
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send_error(400, "body is not JSON")
            return
        app.received.append(
            ReceivedRequest(self.path, body, self.headers.get("Authorization"))
        )
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error(404, f"no route for {self.path}")
            return
        try:
            fault = app.faults.popleft() if app.faults else None
            match fault:
                case None:
                    self._complete(body)
                case Status(code=code):
                    self._send_error(code, f"scripted failure {code}")
                case Hang(seconds=seconds, after_headers=after_headers):
                    if after_headers:
                        self._open_stream()
                    app.stopping.wait(seconds)
                    self.close_connection = True
                case Raw(events=events):
                    self._open_stream()
                    for event in events:
                        self._send_data(event)
                    self._close_stream()
                case _:
                    assert_never(fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing to answer

    def _complete(self, body: dict[str, Any]) -> None:
        if body.get("stream") is not True:
            self._send_error(400, "this test server only streams")
            return
        try:
            messages = [_chat_message(wire) for wire in body["messages"]]
            tools = [_tool_spec(wire) for wire in body.get("tools") or ()]
        except (KeyError, TypeError, ValueError) as error:
            self._send_error(400, f"malformed request: {error!r}")
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        encoder = _ChunkEncoder(str(body.get("model", "")), include_usage)
        self._open_stream()
        self._send_data(json.dumps(encoder.opening()))
        try:
            asyncio.run(self._relay(messages, tools, encoder))
        except ModelError as error:
            # What vLLM does when generation fails after the stream began.
            failure = {"message": error.message, "type": error.code, "code": 500}
            self._send_data(json.dumps({"error": failure}))
        else:
            for chunk in encoder.closing():
                self._send_data(json.dumps(chunk))
        self._close_stream()

    async def _relay(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        encoder: _ChunkEncoder,
    ) -> None:
        async for item in self.server.app.backing.stream(messages, tools):
            for chunk in encoder.encode(item):
                self._send_data(json.dumps(chunk))

    def _send_error(self, status: int, message: str) -> None:
        payload = json.dumps(
            {"error": {"message": message, "type": "test_fault", "code": status}}
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _open_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _send_data(self, payload: str) -> None:
        """One SSE event, in its own HTTP chunk so it reaches the client at once."""
        event = f"data: {payload}\n\n".encode()
        self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        self.wfile.flush()

    def _close_stream(self) -> None:
        self._send_data("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _ChunkEncoder:
    """Turns model chunks into `chat.completion.chunk` objects of one answer."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self._id = f"chatcmpl-{uuid.uuid4().hex}"
        self._created = int(time.time())
        self._model = model
        self._include_usage = include_usage
        self._tool_calls = 0
        self._usage: UsageChunk | None = None

    def opening(self) -> dict[str, Any]:
        return self._chunk({"role": "assistant", "content": ""})

    def encode(self, item: ModelChunk) -> list[dict[str, Any]]:
        match item:
            case TextChunk(text=text):
                return [self._chunk({"content": text})]
            case ReasoningChunk(text=text):
                return [self._chunk({"reasoning_content": text})]
            case ToolCallRequest():
                return self._tool_call(item)
            case UsageChunk():
                self._usage = item
                return []
            case _:
                assert_never(item)

    def closing(self) -> list[dict[str, Any]]:
        reason = "tool_calls" if self._tool_calls else "stop"
        chunks = [self._chunk({}, finish_reason=reason)]
        # Usage is sent only when the backing model reported some, so that what
        # the client reads back is exactly what the backing model said.
        if self._include_usage and self._usage is not None:
            input_tokens = self._usage.input_tokens
            output_tokens = self._usage.output_tokens
            chunks.append(
                self._envelope(
                    [],
                    usage={
                        "prompt_tokens": input_tokens,
                        "completion_tokens": output_tokens,
                        "total_tokens": input_tokens + output_tokens,
                    },
                )
            )
        return chunks

    def _tool_call(self, call: ToolCallRequest) -> list[dict[str, Any]]:
        index = self._tool_calls
        self._tool_calls += 1
        head = {
            "index": index,
            "id": call.call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        arguments = json.dumps(call.args)
        fragments = [
            arguments[start : start + ARGUMENT_FRAGMENT_SIZE]
            for start in range(0, len(arguments), ARGUMENT_FRAGMENT_SIZE)
        ]
        return [self._chunk({"tool_calls": [head]})] + [
            self._chunk(
                {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            )
            for piece in fragments
        ]

    def _chunk(
        self, delta: dict[str, Any], finish_reason: str | None = None
    ) -> dict[str, Any]:
        choice = {
            "index": 0,
            "delta": delta,
            "logprobs": None,
            "finish_reason": finish_reason,
        }
        return self._envelope([choice], usage=None)

    def _envelope(
        self, choices: list[dict[str, Any]], usage: dict[str, int] | None
    ) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
        }
        if self._include_usage:
            chunk["usage"] = usage  # null on every chunk but the last, as OpenAI does
        return chunk


def _chat_message(wire: dict[str, Any]) -> ChatMessage:
    calls = tuple(
        ToolCallRequest(
            call_id=call["id"],
            name=call["function"]["name"],
            args=json.loads(call["function"].get("arguments") or "{}"),
        )
        for call in wire.get("tool_calls") or ()
    )
    return ChatMessage(
        role=wire["role"],
        content=_text(wire.get("content")),
        tool_calls=calls,
        tool_call_id=wire.get("tool_call_id"),
        name=wire.get("name"),
    )


def _text(content: str | list[dict[str, Any]] | None) -> str:
    """Message content, which the API allows as a string or a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


def _tool_spec(wire: dict[str, Any]) -> ToolSpec:
    function = wire["function"]
    return ToolSpec(
        name=function["name"],
        description=function.get("description", ""),
        parameters=function.get("parameters") or {},
    )
