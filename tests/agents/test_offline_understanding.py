"""The offline model reads people: percentages, chains, "that", follow-ups,
several questions at once, units, and the limits its instructions set."""

from __future__ import annotations

import asyncio

import pytest

from agents.base import BaseAgent
from agents.events import Thought, ToolCall
from agents.llm.base import ChatMessage, TextChunk
from agents.llm.offline import OfflineModel, Pace
from agents.llm.offline.arithmetic import Op, parse
from agents.llm.offline.instructions import guidance, unfollowed
from agents.mixins import SessionMixin, StatefulMixin
from agents.stores import InMemoryHistoryStore, InMemoryStateStore
from agents.toolbox import BUILTIN_TOOLS
from agents.toolbox.arithmetic import MATH_TOOLS
from agents.toolbox.units import convert
from tests.agents.helpers import collect, context, final_text


class Assistant(BaseAgent, SessionMixin, StatefulMixin):
    pass


def assistant(instructions: str = "") -> Assistant:
    return Assistant(
        list(BUILTIN_TOOLS.values()),
        OfflineModel(),
        instructions=instructions,
        history_store=InMemoryHistoryStore(),
        state_store=InMemoryStateStore(),
    )


async def talk(agent: BaseAgent, *messages: str) -> list:
    """The events of the last message, after the others in the same session."""
    ctx = context()
    for message in messages:
        events = await collect(agent, message, ctx)
    return events


def calls(events) -> list[tuple[str, dict]]:
    return [(e.tool, e.args) for e in events if isinstance(e, ToolCall)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17% of 2,340", Op("divide", (Op("multiply", (17, 2340)), 100))),
        ("17 percent of 2340", Op("divide", (Op("multiply", (17, 2340)), 100))),
        (
            "add 2 and 2 then multiply by 10",
            Op("multiply", (Op("add", (2, 2)), 10)),
        ),
        ("two plus twenty-five", Op("add", (2, 25))),
        (
            "the average of 3, 5 and 10",
            Op("divide", (Op("add", (Op("add", (3, 5)), 10)), 3)),
        ),
        ("what percent of 120 is 30", Op("divide", (Op("multiply", (30, 100)), 120))),
        (
            "200 + 10%",
            Op("add", (200, Op("divide", (Op("multiply", (10, 200)), 100)))),
        ),
        ("double 21", Op("multiply", (21, 2))),
        ("half of 9", Op("divide", (9, 2))),
    ],
)
def test_people_s_arithmetic_is_parsed(text: str, expected: Op) -> None:
    assert parse(text) == expected


def test_that_is_bound_to_the_earlier_result() -> None:
    assert parse("now multiply that by 3", 40) == Op("multiply", (40, 3))
    assert parse("times 3", 40) == Op("multiply", (40, 3))
    assert parse("double it", 40) == Op("multiply", (40, 2))


async def test_17_percent_of_2340_is_397_8_with_a_tool_per_step() -> None:
    events = await talk(assistant(), "what is 17% of 2,340?")
    assert [name for name, _ in calls(events)] == ["multiply", "divide"]
    assert "397.8" in final_text(events)


async def test_now_multiply_that_by_3_uses_the_last_result() -> None:
    events = await talk(
        assistant(), "add 2 and 2 then multiply by 10", "now multiply that by 3"
    )
    assert calls(events) == [("multiply", {"a": 40, "b": 3})]
    assert "120" in final_text(events)
    assert any("“That” is 40" in e.text for e in events if isinstance(e, Thought))


async def test_that_without_an_earlier_result_is_asked_about_not_guessed() -> None:
    calculator = BaseAgent(list(MATH_TOOLS), OfflineModel())
    events = await talk(calculator, "now times 3")
    assert calls(events) == []
    assert "can't tell what “that” is" in final_text(events)


async def test_their_names_after_a_moon_count_names_the_moons() -> None:
    events = await talk(
        assistant(),
        "How many moons does Mars have?",
        "What are their names?",
    )
    assert calls(events) == [("lookup_fact", {"subject": "Mars", "attribute": "moons"})]
    assert "Phobos" in final_text(events) and "Deimos" in final_text(events)


async def test_two_questions_in_one_message_each_get_their_own_calls() -> None:
    events = await talk(
        assistant(), "What is the capital of Japan, and what is 12 times 7 plus 5?"
    )
    assert calls(events) == [
        ("lookup_fact", {"subject": "Japan", "attribute": "capital"}),
        ("multiply", {"a": 12, "b": 7}),
        ("add", {"a": 84, "b": 5}),
    ]
    answer = final_text(events)
    assert "Tokyo" in answer and "89" in answer
    ids = [e.call_id for e in events if isinstance(e, ToolCall)]
    assert len(set(ids)) == 3


async def test_a_pronoun_waits_for_the_question_it_refers_to() -> None:
    events = await talk(
        assistant(), "What is the capital of Peru and what is its population?"
    )
    subjects = [args["subject"] for _, args in calls(events)]
    assert subjects[0] == "Peru" and "Lima" in subjects


async def test_what_about_spain_asks_the_last_question_again() -> None:
    events = await talk(assistant(), "capital of France?", "what about Spain?")
    assert calls(events) == [
        ("lookup_fact", {"subject": "Spain", "attribute": "capital"})
    ]
    assert "Madrid" in final_text(events)


async def test_tell_me_about_a_country_gives_its_capital_and_population() -> None:
    events = await talk(assistant(), "tell me about Chile")
    assert [args["attribute"] for _, args in calls(events)] == ["capital", "population"]
    assert "Santiago" in final_text(events)


async def test_units_are_converted_by_the_convert_tool() -> None:
    events = await talk(assistant(), "convert 5 miles to km")
    assert calls(events) == [
        ("convert", {"value": 5, "from_unit": "miles", "to_unit": "km"})
    ]
    assert "8.047 km" in final_text(events)


def test_the_convert_tool_knows_temperatures_and_refuses_mixed_dimensions() -> None:
    assert round(convert.fn(100, "°F", "celsius")["value"], 3) == 37.778
    with pytest.raises(ValueError, match="mass"):
        convert.fn(1, "kg", "km")


async def test_an_agent_limited_to_moons_declines_capitals_politely() -> None:
    agent = assistant("Answer only questions about moons.")
    events = await talk(agent, "What is the capital of France?")
    assert calls(events) == []
    answer = final_text(events)
    assert "only here to help with moons" in answer and "Paris" not in answer
    moons = await talk(agent, "How many moons does Jupiter have?")
    assert "Ganymede" in final_text(moons)


async def test_instructions_it_cannot_follow_are_named_not_pretended() -> None:
    events = await talk(assistant("Always talk like a pirate."), "what is 2 + 2")
    first = next(e for e in events if isinstance(e, Thought))
    assert "cannot do that" in first.text and "pirate" in first.text
    assert "4" in final_text(events)


def test_instructions_are_read_for_topics_and_manners() -> None:
    assert guidance("Answer only questions about moons.").topics == {"moons"}
    assert guidance("Help with anything.").topics is None
    assert unfollowed("Use the tools. Always answer in French.") == (
        "Always answer in French.",
    )


def test_shipped_agents_have_no_instructions_the_offline_model_ignores() -> None:
    from agents.checks import offline_instructions_check

    assert offline_instructions_check(None) == []


async def test_out_of_reach_questions_point_at_the_real_model_settings() -> None:
    answer = final_text(await talk(assistant(), "What's the weather in Paris today?"))
    assert "LLM_BASE_URL" in answer and "can't answer" in answer


async def test_a_paced_model_pauses_then_streams_at_reading_speed() -> None:
    """Lower bounds only: sleeping can run late, never early."""
    model = OfflineModel(Pace(think=0.2, words_per_second=50))
    loop = asyncio.get_running_loop()
    started = loop.time()
    words = [
        chunk
        async for chunk in model.stream([ChatMessage("user", "hello")], [])
        if isinstance(chunk, TextChunk)
    ]
    assert loop.time() - started >= 0.2 + len(words) / 50


async def test_also_before_a_second_question_is_not_a_question_of_its_own() -> None:
    events = await talk(
        assistant(),
        "What is the capital of Peru?",
        "And its population? Also, what is 17% of 2,340?",
    )
    answer = final_text(events)
    assert "397.8" in answer and "Peru" in answer and "can't answer" not in answer
