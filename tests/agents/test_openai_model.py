"""The OpenAI-compatible model, through real HTTP and the official SDK.

A local server speaks the chat-completions wire format, backed by a scripted
model, and fails on cue; nothing leaves the loopback interface. Served by the
offline model, the same server runs the shipped agents' scenarios through the
network path, which must change nothing a user sees.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from agents.base import BaseAgent
from agents.events import Event, RunFinished, ToolCall, ToolResult
from agents.llm.base import (
    DEFAULT_MAX_OUTPUT_TOKENS,
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
from agents.llm.offline import OfflineModel
from agents.llm.openai_compat import OpenAICompatibleModel
from agents.registry import load_registry
from agents.stores import InMemoryHistoryStore, InMemoryStateStore
from tests.agents import helpers
from tests.agents.helpers import ScriptedModel, context, final_text, finished
from tests.agents.openai_server import Hang, OpenAICompatServer, Raw, Status

ADD = ToolSpec(
    name="add",
    description="Add two integers.",
    parameters={
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)
HELLO = [ChatMessage(role="user", content="hello")]

Serve = Callable[[Model], OpenAICompatServer]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Starts servers backed by the given model; stops them after the test."""
    servers: list[OpenAICompatServer] = []

    def start(backing: Model) -> OpenAICompatServer:
        server = OpenAICompatServer(backing).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def client(
    server: OpenAICompatServer, *, timeout: float = 5.0, max_retries: int = 2
) -> OpenAICompatibleModel:
    return OpenAICompatibleModel(
        server.base_url,
        "sk-test",
        "served-model",
        timeout=timeout,
        max_retries=max_retries,
        retry_backoff=0.01,
    )


def raw_chunk(delta: dict[str, Any]) -> str:
    """A chunk's wire text, for answers no backing model would give."""
    choice = {"index": 0, "delta": delta, "finish_reason": None}
    return json.dumps(
        {
            "id": "chatcmpl-raw",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [choice],
        }
    )


async def collect(
    model: OpenAICompatibleModel,
    messages: Sequence[ChatMessage] = HELLO,
    tools: Sequence[ToolSpec] = (),
) -> list[ModelChunk]:
    return [chunk async for chunk in model.stream(messages, tools)]


async def test_answer_streams_as_several_text_chunks(serve: Serve) -> None:
    answer = [TextChunk("The answer "), TextChunk("is "), TextChunk("4.")]
    server = serve(ScriptedModel(answer))

    assert await collect(client(server)) == answer
    request = server.received[0]
    assert request.body["stream"] is True
    assert request.body["model"] == "served-model"
    assert request.authorization == "Bearer sk-test"


async def test_tool_call_fragments_become_one_request_with_decoded_args(
    serve: Serve,
) -> None:
    call = ToolCallRequest(call_id="call_1", name="add", args={"a": 2, "b": 40})
    server = serve(ScriptedModel([call]))

    assert await collect(client(server), tools=[ADD]) == [call]
    assert server.received[0].body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add two integers.",
                "parameters": ADD.parameters,
            },
        }
    ]


async def test_parallel_tool_calls_keep_their_order(serve: Serve) -> None:
    first = ToolCallRequest(call_id="c1", name="add", args={"a": 1, "b": 2})
    second = ToolCallRequest(call_id="c2", name="add", args={"a": 3, "b": 4})
    server = serve(ScriptedModel([TextChunk("Adding."), first, second]))

    chunks = await collect(client(server), tools=[ADD])

    assert chunks == [TextChunk("Adding."), first, second]


async def test_reasoning_content_becomes_reasoning_chunks(serve: Serve) -> None:
    said = [ReasoningChunk("2 plus 2 "), ReasoningChunk("is 4"), TextChunk("4")]
    server = serve(ScriptedModel(said))

    assert await collect(client(server)) == said


async def test_reasoning_field_of_newer_servers_is_read_too(serve: Serve) -> None:
    server = serve(ScriptedModel())
    server.faults.append(Raw((raw_chunk({"reasoning": "thinking"}),)))

    assert await collect(client(server)) == [ReasoningChunk("thinking")]


async def test_usage_is_reported_once_after_the_answer(serve: Serve) -> None:
    server = serve(ScriptedModel([TextChunk("hi"), UsageChunk(12, 3)]))

    chunks = await collect(client(server))

    assert chunks == [TextChunk("hi"), UsageChunk(input_tokens=12, output_tokens=3)]
    assert server.received[0].body["stream_options"] == {"include_usage": True}
    assert server.received[0].body["max_tokens"] == DEFAULT_MAX_OUTPUT_TOKENS


async def test_conversation_with_tool_results_reaches_the_server_intact(
    serve: Serve,
) -> None:
    backing = ScriptedModel([TextChunk("4")])
    server = serve(backing)
    call = ToolCallRequest(call_id="c1", name="add", args={"a": 2, "b": 2})
    conversation = [
        ChatMessage(role="system", content="You add numbers."),
        ChatMessage(role="user", content="add 2 and 2"),
        ChatMessage(role="assistant", tool_calls=(call,)),
        ChatMessage(role="tool", content='{"result": 4}', tool_call_id="c1"),
    ]

    await collect(client(server), conversation, [ADD])

    assert backing.seen == [conversation]
    assert backing.offered == [["add"]]
    wire_assistant = server.received[0].body["messages"][2]
    assert wire_assistant["content"] is None
    assert json.loads(wire_assistant["tool_calls"][0]["function"]["arguments"]) == {
        "a": 2,
        "b": 2,
    }


async def test_empty_api_key_is_accepted_for_local_servers(serve: Serve) -> None:
    server = serve(ScriptedModel([TextChunk("ok")]))
    model = OpenAICompatibleModel(server.base_url, "", "local")

    assert await collect(model) == [TextChunk("ok")]


async def test_unauthorized_is_an_auth_error_without_retry(serve: Serve) -> None:
    server = serve(ScriptedModel([TextChunk("never")]))
    server.faults.append(Status(401))

    with pytest.raises(ModelError) as caught:
        await collect(client(server))

    assert caught.value.code == "auth"
    assert not caught.value.retryable
    assert len(server.received) == 1


async def test_rate_limit_is_retried_and_then_succeeds(serve: Serve) -> None:
    server = serve(ScriptedModel([TextChunk("done")]))
    server.faults.append(Status(429))

    assert await collect(client(server)) == [TextChunk("done")]
    assert len(server.received) == 2


async def test_persistent_server_error_gives_up_as_unavailable(serve: Serve) -> None:
    server = serve(ScriptedModel([TextChunk("never")]))
    server.faults.extend([Status(500)] * 5)

    with pytest.raises(ModelError) as caught:
        await collect(client(server, max_retries=2))

    assert caught.value.code == "unavailable"
    assert caught.value.retryable
    assert len(server.received) == 3


async def test_unreachable_server_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = OpenAICompatibleModel(
        f"http://127.0.0.1:{port}/v1", "", "m", max_retries=1, retry_backoff=0.01
    )

    with pytest.raises(ModelError) as caught:
        await collect(model)

    assert caught.value.code == "unavailable"


@pytest.mark.parametrize("after_headers", [False, True], ids=["silent", "stalled"])
async def test_hanging_server_times_out_within_the_timeout(
    serve: Serve, after_headers: bool
) -> None:
    server = serve(ScriptedModel([TextChunk("never")]))
    server.faults.append(Hang(after_headers=after_headers))

    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        await collect(client(server, timeout=0.3))

    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 10  # a hang, unbounded, would never end
    assert len(server.received) == 1


async def test_malformed_chunk_is_a_bad_response(serve: Serve) -> None:
    server = serve(ScriptedModel([TextChunk("never")]))
    server.faults.append(Raw(('{"id": "chatcmpl-1", "choices": [',)))

    with pytest.raises(ModelError) as caught:
        await collect(client(server))

    assert caught.value.code == "bad_response"
    assert len(server.received) == 1


async def test_tool_arguments_that_are_not_json_are_a_bad_response(
    serve: Serve,
) -> None:
    server = serve(ScriptedModel())
    fragment = {
        "index": 0,
        "id": "c1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 2, "b":'},
    }
    server.faults.append(Raw((raw_chunk({"tool_calls": [fragment]}),)))

    with pytest.raises(ModelError) as caught:
        await collect(client(server), tools=[ADD])

    assert caught.value.code == "bad_response"
    assert "add" in caught.value.message


async def test_failure_after_text_is_not_retried(serve: Serve) -> None:
    failure = ModelError("unavailable", "GPU fell over", retryable=True)
    server = serve(ScriptedModel([TextChunk("Half an ans"), failure]))
    received: list[ModelChunk] = []

    with pytest.raises(ModelError) as caught:
        async for chunk in client(server).stream(HELLO, []):
            received.append(chunk)

    assert received == [TextChunk("Half an ans")]
    assert caught.value.code == "unavailable"
    assert "GPU fell over" in caught.value.message
    assert len(server.received) == 1


# The shipped agents, served by the offline model over HTTP.


@pytest.fixture
def offline_over_http(serve: Serve) -> OpenAICompatibleModel:
    return client(serve(OfflineModel()))


def build(
    name: str, llm: Model, history: InMemoryHistoryStore | None = None
) -> BaseAgent:
    return load_registry().build(
        name,
        llm=llm,
        history_store=history or InMemoryHistoryStore(),
        state_store=InMemoryStateStore(),
    )


def comparable(events: Sequence[Event]) -> list[Event]:
    """The events without their timings, which no two runs share, and without
    the name of the model that used the tokens (the same tokens, either way)."""
    return [
        dataclasses.replace(event, duration_ms=0, usage=_unnamed(event.usage))
        if isinstance(event, RunFinished)
        else dataclasses.replace(event, duration_ms=0)
        if isinstance(event, ToolResult)
        else event
        for event in events
    ]


def _unnamed(usage: dict) -> dict:
    return {**usage, "by_model": [{**m, "model": ""} for m in usage["by_model"]]}


async def run(agent: BaseAgent, message: str, session: str = "s1") -> list[Event]:
    return await helpers.collect(agent, message, context(session))


async def test_math_agent_over_http_adds_with_the_add_tool(
    offline_over_http: OpenAICompatibleModel,
) -> None:
    events = await run(build("math", offline_over_http), "add 2 and 2")

    assert "4" in final_text(events)
    calls = [event for event in events if isinstance(event, ToolCall)]
    assert [call.tool for call in calls] == ["add"]
    results = [event for event in events if isinstance(event, ToolResult)]
    assert [result.call_id for result in results] == [calls[0].call_id]
    assert finished(events).status == "succeeded"
    assert finished(events).usage["output_tokens"] > 0


async def test_geo_agent_over_http_knows_the_capital_of_france(
    offline_over_http: OpenAICompatibleModel,
) -> None:
    events = await run(
        build("geo", offline_over_http), "What is the capital of France?"
    )

    assert "Paris" in final_text(events)


async def test_follow_up_over_http_is_resolved_from_the_session(
    offline_over_http: OpenAICompatibleModel,
) -> None:
    geo = build("geo", offline_over_http, InMemoryHistoryStore())
    await run(geo, "What is the capital of France?")

    answer = final_text(await run(geo, "And what is its population?"))

    assert "Paris" in answer and "million" in answer


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        ("math", "add 2 and 2"),
        ("geo", "What is the capital of France?"),
        ("assistant", "remember that my favourite colour is green"),
        ("assistant", "hello"),
    ],
)
async def test_agent_over_http_does_exactly_what_it_does_offline(
    offline_over_http: OpenAICompatibleModel, agent: str, message: str
) -> None:
    offline = await run(build(agent, OfflineModel()), message)
    over_http = await run(build(agent, offline_over_http), message)

    assert comparable(over_http) == comparable(offline)
