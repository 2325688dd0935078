"""The agent loop's side of steering: where messages from the inbox join the
conversation, a draft answer redone, and the inbox closed with the answer."""

from __future__ import annotations

from agents.base import BaseAgent
from agents.llm.base import ChatMessage, TextChunk, ToolCallRequest
from tests.agents.helpers import ScriptedModel, context, final_text, types
from tests.agents.test_agent_loop import add


class ListInbox:
    """Hands out prepared messages: `plan[n]` at the n-th take."""

    def __init__(self, *plan: list[str]) -> None:
        self.plan = list(plan)
        self.takes: list[bool] = []

    async def take(self, closing: bool) -> list[str]:
        self.takes.append(closing)
        return self.plan.pop(0) if self.plan else []


async def run(agent: BaseAgent, inbox: ListInbox) -> list:
    return [e async for e in agent.run("add 2 and 2", context(), inbox=inbox)]


def roles(messages: list[ChatMessage]) -> list[str]:
    return [m.role for m in messages]


async def test_a_message_from_the_inbox_joins_after_the_tool_results_and_before_the_next_turn():
    model = ScriptedModel(
        [ToolCallRequest("c1", "add", {"a": 2, "b": 2})],
        [TextChunk("4, and in words: four")],
    )
    inbox = ListInbox(["say it in words too"])
    events = await run(BaseAgent([add], model), inbox)
    assert final_text(events) == "4, and in words: four"
    second_turn = model.seen[1]
    assert roles(second_turn) == ["user", "assistant", "tool", "user"]
    assert second_turn[-1].content == "say it in words too"
    # Not before the first turn; one take before the second; one closing take.
    assert inbox.takes == [False, True]


async def test_an_answer_finished_as_a_message_arrived_becomes_a_thought_and_is_redone():
    model = ScriptedModel([TextChunk("4")], [TextChunk("four")])
    inbox = ListInbox(["in words please"])
    events = await run(BaseAgent([add], model), inbox)
    assert types(events) == ["run_started", "thought", "final", "run_finished"]
    assert events[1].text == "4" and final_text(events) == "four"
    assert roles(model.seen[1]) == ["user", "user"]  # the draft is not said
    assert inbox.takes == [True, False, True]  # the first closing found one


async def test_without_an_inbox_the_loop_is_unchanged():
    model = ScriptedModel([TextChunk("4")])
    events = [e async for e in BaseAgent([add], model).run("add", context())]
    assert types(events) == ["run_started", "final", "run_finished"]


async def test_the_offline_model_answers_the_message_and_the_steer_together():
    from agents.registry import load_registry
    from agents.stores import InMemoryHistoryStore, InMemoryStateStore

    agent = load_registry().build(
        "math", history_store=InMemoryHistoryStore(), state_store=InMemoryStateStore()
    )
    inbox = ListInbox(["also multiply 3 by 5"])  # taken after the first call
    events = [e async for e in agent.run("add 2 and 2", context(), inbox=inbox)]
    assert final_text(events) == "2 + 2 = 4.\n\n3 \u00d7 5 = 15."
    # Sent as the answer was written: the draft is redone with both in view.
    agent = load_registry().build(
        "geo", history_store=InMemoryHistoryStore(), state_store=InMemoryStateStore()
    )
    inbox = ListInbox([], ["What is the capital of Spain?"])
    question = "What is the capital of France?"
    events = [e async for e in agent.run(question, context(), inbox=inbox)]
    answer = final_text(events)
    assert "Paris" in answer and "Madrid" in answer
