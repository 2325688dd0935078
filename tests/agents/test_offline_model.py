"""The offline model plans with tools: arithmetic, facts, memory, or says what it can do."""

from __future__ import annotations

import pytest

from agents.base import BaseAgent
from agents.events import StateDelta, Thought, ToolCall, ToolError
from agents.llm.base import (
    ChatMessage,
    ReasoningChunk,
    TextChunk,
    ToolCallRequest,
    UsageChunk,
)
from agents.llm.offline import OfflineModel
from agents.llm.offline.arithmetic import Op, parse, shown
from agents.mixins import StatefulMixin
from agents.stores import InMemoryStateStore
from agents.toolbox import BUILTIN_TOOLS
from agents.toolbox.arithmetic import MATH_TOOLS
from agents.toolbox.facts import FACT_TOOLS
from tests.agents.helpers import collect, final_text, finished, types


def calls(events) -> list[tuple[str, dict]]:
    return [(e.tool, e.args) for e in events if isinstance(e, ToolCall)]


def math_agent() -> BaseAgent:
    return BaseAgent(list(MATH_TOOLS), OfflineModel(), name="calculator")


class Assistant(BaseAgent, StatefulMixin):
    pass


def assistant() -> BaseAgent:
    return Assistant(
        list(BUILTIN_TOOLS.values()), OfflineModel(), state_store=InMemoryStateStore()
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add 2 and 2", Op("add", (2, 2))),
        ("What is (3 + 4) * 5?", Op("multiply", (Op("add", (3, 4)), 5))),
        ("subtract 3 from 10", Op("subtract", (10, 3))),
        ("multiply 6 by 7", Op("multiply", (6, 7))),
        ("divide 1 by 0", Op("divide", (1, 0))),
        ("square root of 81", Op("sqrt", (81,))),
        ("what's 2 to the power of 10", Op("power", (2, 10))),
        ("calculate 3 plus 4 times 5", Op("add", (3, Op("multiply", (4, 5))))),
        ("2 ^ 3 ^ 2", Op("power", (2, Op("power", (3, 2))))),
        ("-2 + 1,000", Op("add", (-2, 1000))),
        ("add the square root of 16 to 3", Op("add", (Op("sqrt", (16,)), 3))),
        ("7 squared", Op("power", (7, 2))),
        ("10 / 4", Op("divide", (10, 4))),
        ("1.5 x 2", Op("multiply", (1.5, 2))),
    ],
)
def test_arithmetic_in_words_and_symbols_is_parsed(text: str, expected: Op) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["42", "what is the capital of France?", "add milk and eggs", "(2 + 3", "hello"],
)
def test_things_that_are_not_arithmetic_are_not_parsed(text: str) -> None:
    assert parse(text) is None


def test_expressions_are_shown_with_only_the_brackets_needed() -> None:
    assert shown(parse("(3 + 4) * 5")) == "(3 + 4) \u00d7 5"
    assert shown(parse("10 - (3 - 1)")) == "10 - (3 - 1)"
    assert shown(parse("3 + 4 * 5")) == "3 + 4 \u00d7 5"


async def test_add_two_and_two_calls_add_and_answers_four() -> None:
    events = await collect(math_agent(), "add 2 and 2")
    assert calls(events) == [("add", {"a": 2, "b": 2})]
    assert "4" in final_text(events)
    assert types(events)[:3] == ["run_started", "thought", "tool_call"]


async def test_expression_is_worked_out_one_tool_call_per_step() -> None:
    events = await collect(math_agent(), "what is (3 + 4) * 5?")
    assert calls(events) == [("add", {"a": 3, "b": 4}), ("multiply", {"a": 7, "b": 5})]
    assert "35" in final_text(events)
    # A thought explains every step before it is taken.
    assert types(events).count("thought") == 3


async def test_independent_operations_are_asked_for_in_one_turn() -> None:
    model = OfflineModel()
    spec = [tool.spec for tool in MATH_TOOLS]
    chunks = [c async for c in model.stream([ChatMessage("user", "(1+2)*(3+4)")], spec)]
    requests = [c for c in chunks if isinstance(c, ToolCallRequest)]
    assert [(r.name, r.args) for r in requests] == [
        ("add", {"a": 1, "b": 2}),
        ("add", {"a": 3, "b": 4}),
    ]


async def test_square_root_of_81_is_9() -> None:
    events = await collect(math_agent(), "square root of 81")
    assert calls(events) == [("sqrt", {"x": 81})]
    assert "9" in final_text(events)


async def test_division_by_zero_is_a_tool_error_explained_to_the_user() -> None:
    events = await collect(math_agent(), "divide 1 by 0")
    assert any(isinstance(e, ToolError) and "zero" in e.error for e in events)
    answer = final_text(events)
    assert "dividing by zero is undefined" in answer
    assert finished(events).status == "succeeded"


async def test_the_model_streams_reasoning_then_words_then_usage() -> None:
    chunks = [
        c async for c in OfflineModel().stream([ChatMessage("user", "hello")], [])
    ]
    assert isinstance(chunks[0], ReasoningChunk)
    texts = [c for c in chunks if isinstance(c, TextChunk)]
    assert len(texts) > 5  # word by word
    usage = chunks[-1]
    assert isinstance(usage, UsageChunk)
    assert usage.input_tokens == 1
    assert usage.output_tokens > len(texts)


async def test_the_model_is_deterministic() -> None:
    first = await collect(assistant(), "what is (3 + 4) * 5?")
    second = await collect(assistant(), "what is (3 + 4) * 5?")

    def strip(events):
        return [e for e in events if e.type not in ("tool_result", "run_finished")]

    assert strip(first) == strip(second)


async def test_capital_of_france_is_paris() -> None:
    agent = BaseAgent(list(FACT_TOOLS), OfflineModel(), name="geo")
    events = await collect(agent, "What is the capital of France?")
    assert calls(events) == [
        ("lookup_fact", {"subject": "France", "attribute": "capital"})
    ]
    assert final_text(events) == "The capital of France is Paris."


async def test_mars_has_two_moons_phobos_and_deimos() -> None:
    agent = BaseAgent(list(FACT_TOOLS), OfflineModel(), name="geo")
    answer = final_text(await collect(agent, "How many moons does Mars have?"))
    assert answer == "Mars has 2 moons: Phobos and Deimos."


async def test_an_unknown_place_is_reported_not_invented() -> None:
    agent = BaseAgent(list(FACT_TOOLS), OfflineModel(), name="geo")
    answer = final_text(await collect(agent, "What is the capital of Atlantis?"))
    assert "no facts about 'Atlantis'" in answer


async def test_remember_stores_user_state_with_british_key() -> None:
    events = await collect(assistant(), "Remember that my favorite color is green.")
    assert calls(events) == [("remember", {"key": "favorite color", "value": "green"})]
    assert StateDelta("user", {"favourite_colour": "green"}) in events
    assert "green" in final_text(events)


async def test_recall_of_something_never_told_says_so() -> None:
    answer = final_text(await collect(assistant(), "What is my favourite colour?"))
    assert "don't know your favourite colour" in answer


async def test_generic_answer_names_only_the_tools_offered() -> None:
    geo = BaseAgent(list(FACT_TOOLS), OfflineModel(), name="geo")
    answer = final_text(await collect(geo, "Tell me a joke"))
    assert "capitals" in answer
    assert "arithmetic" not in answer
    assert "remember" not in answer


async def test_a_model_without_math_tools_does_not_call_them() -> None:
    geo = BaseAgent(list(FACT_TOOLS), OfflineModel(), name="geo")
    events = await collect(geo, "add 2 and 2")
    assert calls(events) == []
    assert "I have no add tool" in final_text(events)


async def test_a_model_with_no_tools_says_it_can_only_chat() -> None:
    answer = final_text(await collect(BaseAgent([], OfflineModel()), "hello"))
    assert answer == "Hello! I have no tools here, so I can only chat."


async def test_every_step_is_explained_by_a_thought_before_it() -> None:
    events = await collect(assistant(), "what is 2 * 3 + 4?")
    kinds = [e.type for e in events if isinstance(e, Thought | ToolCall)]
    assert kinds == ["thought", "tool_call", "thought", "tool_call", "thought"]
