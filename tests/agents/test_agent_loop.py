"""The agent loop: streaming, tool outcomes, errors, limits and cancellation."""

from __future__ import annotations

import asyncio

import pytest

from agents.base import BaseAgent
from agents.events import (
    Delta,
    Error,
    Final,
    RunFinished,
    RunStarted,
    Thought,
    ToolCall,
    ToolError,
    ToolResult,
    UserMessage,
)
from agents.llm.base import (
    ChatMessage,
    ModelError,
    ReasoningChunk,
    TextChunk,
    ToolCallRequest,
    UsageChunk,
)
from agents.mixins import SessionMixin, StatefulMixin
from agents.state import RunState
from agents.stores import InMemoryHistoryStore, InMemoryStateStore, record_run
from agents.tools import tool
from tests.agents.helpers import (
    ScriptedModel,
    collect,
    context,
    final_text,
    finished,
    types,
)


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def explode() -> None:
    """Always fails."""
    raise RuntimeError("boom")


@tool(timeout=0.05)
async def hang() -> None:
    """Never returns."""
    await asyncio.Event().wait()


def call(name: str, call_id: str = "c1", **args: object) -> ToolCallRequest:
    return ToolCallRequest(call_id, name, args)


async def test_a_run_reports_its_steps_in_order() -> None:
    model = ScriptedModel(
        [ReasoningChunk("I should "), ReasoningChunk("add."), call("add", a=2, b=2)],
        [TextChunk("It is "), TextChunk("4."), UsageChunk(3, 2)],
    )
    events = await collect(BaseAgent([add], model, name="math"), "add 2 and 2")
    assert events[0] == RunStarted("math")
    assert types(events) == [
        "run_started",
        "thought",
        "tool_call",
        "tool_result",
        "final",
        "run_finished",
    ]
    assert Thought("I should add.") in events
    assert ToolCall("c1", "add", {"a": 2, "b": 2}) in events
    result = next(e for e in events if isinstance(e, ToolResult))
    assert (result.result, result.duration_ms >= 0) == (4, True)
    assert [e.text for e in events if isinstance(e, Delta)] == ["It is ", "4."]
    assert final_text(events) == "It is 4."
    assert finished(events).status == "succeeded"


async def test_the_run_never_yields_the_user_message() -> None:
    events = await collect(BaseAgent([], ScriptedModel([TextChunk("hi")])), "hello")
    assert not any(isinstance(e, UserMessage) for e in events)


async def test_usage_is_summed_over_turns() -> None:
    model = ScriptedModel(
        [call("add", a=1, b=1), UsageChunk(10, 5)], [TextChunk("2"), UsageChunk(20, 1)]
    )
    events = await collect(BaseAgent([add], model), "1+1")
    assert finished(events).usage == {
        "input_tokens": 30,
        "output_tokens": 6,
        "by_model": [{"model": "scripted", "input_tokens": 30, "output_tokens": 6}],
    }


async def test_text_beside_tool_calls_is_reported_as_a_thought() -> None:
    model = ScriptedModel(
        [TextChunk("Let me add. "), call("add", a=1, b=2)], [TextChunk("3")]
    )
    events = await collect(BaseAgent([add], model), "1+2")
    assert Thought("Let me add. ") in events
    assert final_text(events) == "3"


async def test_reasoning_between_text_becomes_separate_thoughts() -> None:
    model = ScriptedModel(
        [ReasoningChunk("a"), ReasoningChunk("b"), TextChunk("x"), ReasoningChunk("c")]
    )
    events = await collect(BaseAgent([], model), "?")
    assert [e.text for e in events if isinstance(e, Thought)] == ["ab", "c"]


async def test_tool_results_are_fed_back_to_the_model() -> None:
    model = ScriptedModel(
        [TextChunk("thinking"), call("add", a=1, b=2)], [TextChunk("3")]
    )
    await collect(BaseAgent([add], model, instructions="Be exact."), "1+2")
    assert model.seen[1] == [
        ChatMessage("system", "Be exact."),
        ChatMessage("user", "1+2"),
        ChatMessage("assistant", "thinking", (call("add", a=1, b=2),)),
        ChatMessage("tool", '{"result": 3}', tool_call_id="c1", name="add"),
    ]
    assert model.offered[0] == ["add"]


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (call("explode"), "RuntimeError: boom"),
        (call("hang"), "hang did not finish within 0.05 s"),
        (
            call("add", a="two", b=2),
            "invalid arguments: argument 'a' must be an integer",
        ),
        (call("add", a=1), "invalid arguments: missing required argument 'b'"),
        (call("teleport"), "unknown tool 'teleport'"),
    ],
    ids=["raises", "hangs", "wrong-type", "missing-argument", "unknown-tool"],
)
async def test_a_failing_tool_becomes_tool_error_and_the_run_carries_on(
    request_: ToolCallRequest, error: str
) -> None:
    model = ScriptedModel([request_], [TextChunk("Sorry, that failed.")])
    events = await collect(BaseAgent([add, explode, hang], model), "go")
    failure = next(e for e in events if isinstance(e, ToolError))
    assert error in failure.error
    assert final_text(events) == "Sorry, that failed."
    assert finished(events).status == "succeeded"
    assert '"error"' in model.seen[1][-1].content


async def test_several_tool_calls_of_one_turn_each_get_an_outcome() -> None:
    model = ScriptedModel(
        [
            call("add", "c1", a=1, b=1),
            call("explode", "c2"),
            call("add", "c3", a=2, b=2),
        ],
        [TextChunk("done")],
    )
    events = await collect(BaseAgent([add, explode], model), "go")
    outcomes = [
        (e.type, e.call_id) for e in events if isinstance(e, ToolResult | ToolError)
    ]
    assert outcomes == [
        ("tool_result", "c1"),
        ("tool_error", "c2"),
        ("tool_result", "c3"),
    ]


async def test_a_model_error_ends_the_run_failed_with_its_code() -> None:
    model = ScriptedModel([TextChunk("par"), ModelError("rate_limited", "slow down")])
    events = await collect(BaseAgent([], model), "hi")
    assert Error("rate_limited", "slow down") in events
    assert types(events)[-2:] == ["error", "run_finished"]
    assert finished(events).status == "failed"


async def test_an_unexpected_exception_in_the_model_becomes_an_error_event() -> None:
    model = ScriptedModel([KeyError("oops")])
    events = await collect(BaseAgent([], model), "hi")
    assert types(events) == ["run_started", "error", "run_finished"]
    assert events[1].code == "agent_error"
    assert finished(events).status == "failed"


async def test_reaching_max_steps_is_a_clear_error() -> None:
    model = ScriptedModel(*([call("add", f"c{i}", a=1, b=1)] for i in range(5)))
    events = await collect(BaseAgent([add], model, max_steps=3), "loop")
    assert len([e for e in events if isinstance(e, ToolCall)]) == 3
    error = next(e for e in events if isinstance(e, Error))
    assert error.code == "max_steps"
    assert "3 steps" in error.message
    assert not any(isinstance(e, Final) for e in events)
    assert finished(events).status == "failed"


async def test_an_agent_only_reads_its_history() -> None:
    class ReadOnly(InMemoryHistoryStore):
        async def append(self, session_id, events) -> None:
            raise AssertionError("the agent wrote its history")

    class Agent(BaseAgent, SessionMixin):
        pass

    agent = Agent([], ScriptedModel([TextChunk("hi")]), history_store=ReadOnly())
    events = [event async for event in agent.run("hello", context())]
    assert types(events)[-2:] == ["final", "run_finished"]
    assert finished(events).status == "succeeded"


async def test_events_stream_while_a_slow_tool_is_still_running() -> None:
    release = asyncio.Event()

    @tool
    async def slow() -> str:
        """Wait for the test."""
        await release.wait()
        return "done"

    model = ScriptedModel([ReasoningChunk("Waiting."), call("slow")], [TextChunk("ok")])
    run = BaseAgent([slow], model).run("go", context())
    seen = [await anext(run) for _ in range(3)]
    # run_started, the thought and the tool call arrived before the tool returned.
    assert types(seen) == ["run_started", "thought", "tool_call"]
    assert not release.is_set()
    release.set()
    rest = [event async for event in run]
    assert types(rest) == ["tool_result", "final", "run_finished"]


async def test_deltas_arrive_before_the_model_turn_ends() -> None:
    gate = asyncio.Event()

    class SlowModel:
        name = "slow"

        async def stream(self, messages, tools):
            yield TextChunk("first ")
            await gate.wait()
            yield TextChunk("second")

    run = BaseAgent([], SlowModel()).run("go", context())
    assert isinstance(await anext(run), RunStarted)
    assert await anext(run) == Delta("first ")
    gate.set()
    assert final_text([event async for event in run]) == "first second"


async def test_cancelling_a_run_cancels_its_running_tool() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    @tool
    async def wait_forever() -> None:
        """Wait until cancelled."""
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    agent = BaseAgent([wait_forever], ScriptedModel([call("wait_forever")]))
    task = asyncio.create_task(collect(agent, "go"))
    await asyncio.wait_for(started.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()


async def test_closing_the_run_mid_tool_cancels_the_tool() -> None:
    cancelled = asyncio.Event()

    @tool
    async def note_then_wait(state: RunState) -> None:
        """Change state, then wait until cancelled."""
        await state.set("step", 1)
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    class Agent(BaseAgent, StatefulMixin):
        pass

    model = ScriptedModel([call("note_then_wait")])
    run = Agent([note_then_wait], model, state_store=InMemoryStateStore()).run(
        "go", context()
    )
    seen = [await anext(run) for _ in range(3)]
    # The state change streamed while the tool was still running.
    assert types(seen) == ["run_started", "tool_call", "state_delta"]
    await run.aclose()
    assert cancelled.is_set()


async def test_cancelling_the_task_propagates_and_history_keeps_the_partial_answer() -> (
    None
):
    gate = asyncio.Event()

    class Stalling:
        name = "stalling"

        async def stream(self, messages, tools):
            yield TextChunk("Half an ")
            await gate.wait()
            yield TextChunk("answer")

    class Agent(BaseAgent, SessionMixin):
        pass

    history = InMemoryHistoryStore()
    agent = Agent([], Stalling(), history_store=history)
    seen: list = []
    writing = asyncio.Event()

    async def consume() -> None:
        async for event in record_run(agent, "go", context("s1"), history):
            seen.append(event)
            if isinstance(event, Delta):
                writing.set()

    task = asyncio.create_task(consume())
    await writing.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not any(isinstance(e, RunFinished) for e in seen)  # the caller writes it
    stored = await history.load("s1")
    assert stored[-2:] == [Final("Half an ", partial=True), stored[-1]]
    assert stored[-1].status == "cancelled"


async def test_one_agent_serves_concurrent_runs_without_mixing_them() -> None:
    class EchoModel:
        name = "echo"

        async def stream(self, messages, tools):
            text = messages[-1].content
            for word in text.split():
                await asyncio.sleep(0)
                yield TextChunk(word + " ")

    agent = BaseAgent([], EchoModel())
    first, second = await asyncio.gather(
        collect(agent, "alpha beta gamma"), collect(agent, "one two three")
    )
    assert final_text(first) == "alpha beta gamma "
    assert final_text(second) == "one two three "


async def test_step_delay_pauses_between_steps(monkeypatch) -> None:
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("agents.base.asyncio.sleep", recording_sleep)
    model = ScriptedModel([call("add", a=1, b=1)], [TextChunk("2")])
    await collect(BaseAgent([add], model, step_delay=0.05), "1+1")
    assert [pause for pause in pauses if pause] == [0.05]  # one pause, between steps


def test_bad_agent_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="policy"):
        BaseAgent([], ScriptedModel(), policy="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="share a name"):
        BaseAgent([add, add], ScriptedModel())
    with pytest.raises(ValueError, match="max_steps"):
        BaseAgent([], ScriptedModel(), max_steps=0)
