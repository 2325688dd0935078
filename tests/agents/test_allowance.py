"""The agent loop and its `Allowance`: each model turn is charged its
projection before it is made, a refusal fails the run before the model is
asked, warnings are shown as `info`, and every charged turn is settled with
what it used (or left standing when that is unknown)."""

from __future__ import annotations

import asyncio

import pytest

from agents.base import BaseAgent
from agents.events import Error, Info, RunFinished
from agents.llm.base import (
    ChatMessage,
    ModelError,
    Projection,
    TextChunk,
    ToolCallRequest,
    UsageChunk,
    estimated_tokens,
    projected,
)
from agents.llm.offline import OfflineModel
from agents.tools import tool
from tests.agents.helpers import ScriptedModel, context


class Ledger:
    """An allowance of `left` tokens that records its charges and settlements."""

    def __init__(self, left: int, warn: str | None = None) -> None:
        self.left = left
        self.warn = warn
        self.log: list[tuple[str, object]] = []

    async def charge(self, call: Projection) -> list[str]:
        if call.tokens > self.left:
            raise ModelError("budget_exceeded", "The budget 'test' is used up.")
        self.left -= call.tokens
        self.log.append(("charge", call))
        return [self.warn] if self.warn else []

    async def settle(self, call: Projection, used: tuple[int, int] | None) -> None:
        self.log.append(("settle", used))
        if used is not None:
            self.left += call.tokens - sum(used)


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def run(agent: BaseAgent, allowance: Ledger) -> list:
    events = agent.run("add 2 and 2", context(), allowance=allowance)
    return [event async for event in events]


async def test_a_refused_turn_fails_the_run_before_the_model_is_asked() -> None:
    model = ScriptedModel([TextChunk("never")])
    events = await run(BaseAgent([], model), Ledger(left=10))
    assert model.seen == []  # the model was not called
    (error,) = [e for e in events if isinstance(e, Error)]
    assert error.code == "budget_exceeded" and "'test'" in error.message
    assert events[-1] == RunFinished("failed", events[-1].duration_ms, events[-1].usage)


async def test_each_turn_is_charged_then_settled_with_what_it_used() -> None:
    model = ScriptedModel(
        [ToolCallRequest("c1", "add", {"a": 2, "b": 2}), UsageChunk(30, 5)],
        [TextChunk("4"), UsageChunk(40, 1)],
    )
    ledger = Ledger(left=100_000, warn="half used")
    events = await run(BaseAgent([add], model, max_steps=3), ledger)
    assert [kind for kind, _ in ledger.log] == ["charge", "settle"] * 2
    assert [used for kind, used in ledger.log if kind == "settle"] == [(30, 5), (40, 1)]
    assert ledger.left == 100_000 - 30 - 5 - 40 - 1
    assert [e.text for e in events if isinstance(e, Info)] == ["half used"] * 2


async def test_a_turn_that_failed_before_writing_is_settled_at_nothing() -> None:
    model = ScriptedModel([ModelError("unavailable", "down")])
    ledger = Ledger(left=100_000)
    await run(BaseAgent([], model), ledger)
    assert ledger.log[-1] == ("settle", (0, 0)) and ledger.left == 100_000


async def test_a_cancelled_turn_keeps_its_projection_charged() -> None:
    writing = asyncio.Event()

    class Hanging(ScriptedModel):
        async def stream(self, messages, tools):
            yield TextChunk("partial")
            writing.set()
            await asyncio.Event().wait()

    ledger = Ledger(left=100_000)
    task = asyncio.create_task(run(BaseAgent([], Hanging()), ledger))
    await writing.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ledger.log[-1] == ("settle", None)
    assert ledger.left < 100_000


def test_the_offline_model_counts_its_own_input_and_bounds_its_output() -> None:
    messages = [ChatMessage("user", "what is 2 + 2?")]
    call = projected(OfflineModel(), messages, [])
    assert call == Projection("offline", 5, OfflineModel.max_output_tokens)
    assert projected(ScriptedModel(), messages, []).input_tokens == estimated_tokens(
        messages, []
    )
