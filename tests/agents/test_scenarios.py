"""The article's scenarios, end to end with the offline model and shipped agents."""

from __future__ import annotations

import asyncio
import itertools

from agents.base import BaseAgent
from agents.events import RunStarted, StateDelta
from agents.llm.offline import OfflineModel
from agents.registry import load_registry
from agents.stores import InMemoryHistoryStore, InMemoryStateStore, record_run
from agents.toolbox.facts import FACT_TOOLS
from tests.agents.helpers import collect, context, final_text, finished


def build(name: str, **stores) -> BaseAgent:
    return load_registry().build(
        name,
        history_store=stores.get("history", InMemoryHistoryStore()),
        state_store=stores.get("state", InMemoryStateStore()),
    )


async def test_alice_and_bob_at_once_on_one_agent_keep_their_contexts_apart() -> None:
    geo = build("geo")
    alice, bob = context("alice-session", "alice"), context("bob-session", "bob")
    order: list[str] = []

    async def talk(ctx, message):
        events = []
        async for event in record_run(geo, message, ctx, geo.history_store):
            order.append(ctx.user_id)
            events.append(event)
        return events

    first = await asyncio.gather(
        talk(alice, "What is the capital of France?"),
        talk(bob, "How many moons does Mars have?"),
    )
    second = await asyncio.gather(
        talk(alice, "And what is its population?"),
        talk(bob, "And what is its population?"),
    )
    assert "Paris" in final_text(first[0])
    assert "Phobos and Deimos" in final_text(first[1])
    alice_answer, bob_answer = final_text(second[0]), final_text(second[1])
    assert "Paris" in alice_answer and "France" in alice_answer
    assert "million" in alice_answer
    assert "Mars" not in alice_answer
    assert "Mars" in bob_answer and "no population" in bob_answer
    assert "Paris" not in bob_answer
    # The runs really were interleaved, not one after the other.
    switches = sum(a != b for a, b in itertools.pairwise(order))
    assert switches > 2


async def test_agent_without_session_mixin_forgets_previous_message() -> None:
    agent = BaseAgent(list(FACT_TOOLS), OfflineModel(), name="forgetful")
    await collect(agent, "What is the capital of France?", context("s1"))
    events = await collect(agent, "And what is its population?", context("s1"))
    answer = final_text(events)
    assert "Paris" not in answer and "France" not in answer
    assert "Which country, city or planet do you mean?" in answer


async def test_calculator_definition_keeps_no_history_between_messages() -> None:
    calculator = load_registry().build("calculator")
    await collect(calculator, "add 2 and 2", context("s1"))
    model_seen: list = []

    class Spy(OfflineModel):
        def stream(self, messages, tools):
            model_seen.append(list(messages))
            return super().stream(messages, tools)

    calculator.llm = Spy()
    await collect(calculator, "multiply 3 by 3", context("s1"))
    assert [m.role for m in model_seen[0]] == ["system", "user"]


async def test_memory_carries_over_to_another_session_of_the_same_user() -> None:
    state = InMemoryStateStore()
    assistant = build("assistant", state=state)
    told = await collect(
        assistant,
        "remember that my favourite colour is green",
        context("monday", "ann"),
    )
    assert StateDelta("user", {"favourite_colour": "green"}) in told

    asked = await collect(
        assistant, "what is my favorite color?", context("tuesday", "ann")
    )
    assert "green" in final_text(asked)

    stranger = await collect(
        assistant, "what is my favourite colour?", context("tuesday", "zoe")
    )
    assert "green" not in final_text(stranger)


async def test_a_session_continues_on_another_agent_instance() -> None:
    history = InMemoryHistoryStore()
    await collect(
        build("geo", history=history), "What is the capital of France?", context("s1")
    )
    # A second process (another instance, same store) answers the follow-up.
    events = await collect(
        build("geo", history=history), "And its population?", context("s1")
    )
    assert "Paris" in final_text(events)


async def test_every_shipped_agent_finishes_every_kind_of_message_exactly_once() -> (
    None
):
    messages = [
        "add 2 and 2",
        "divide 1 by 0",
        "What is the capital of France?",
        "And what is its population?",
        "remember that my favourite colour is green",
        "what is my favourite colour?",
        "hello",
    ]
    registry = load_registry()
    for spec in registry:
        agent = build(spec.name)
        for message in messages:
            events = await collect(agent, message, context("s1"))
            assert events[0] == RunStarted(spec.name)
            assert finished(events).status == "succeeded", (spec.name, message)
            final_text(events)
