"""SessionMixin and StatefulMixin, each on its own and composed with BaseAgent."""

from __future__ import annotations

import pytest

from agents.base import BaseAgent
from agents.context import RunContext
from agents.events import (
    Final,
    RunFinished,
    RunStarted,
    StateDelta,
    ToolCall,
    ToolResult,
    UserMessage,
)
from agents.llm.base import ChatMessage, TextChunk, ToolCallRequest
from agents.mixins import SessionMixin, StatefulMixin
from agents.state import RunState
from agents.stores import InMemoryHistoryStore, InMemoryStateStore, StateNamespace
from agents.tools import tool
from tests.agents.helpers import ScriptedModel, collect, context, final_text

# --- SessionMixin alone ------------------------------------------------------


async def test_session_mixin_alone_keeps_history_per_session() -> None:
    store = InMemoryHistoryStore()  # written by whoever consumes the runs
    sessions = SessionMixin(history_store=store)
    await store.append("alice", [UserMessage("capital of France?"), Final("Paris")])
    await store.append("bob", [UserMessage("moons of Mars?")])
    assert await sessions.get_session_history("alice") == [
        UserMessage("capital of France?"),
        Final("Paris"),
    ]
    assert await sessions.get_session_history("bob") == [UserMessage("moons of Mars?")]
    assert await sessions.get_session_history("carol") == []


# --- StatefulMixin alone -----------------------------------------------------


def _state(store: InMemoryStateStore, ctx: RunContext, deltas: list) -> RunState:
    return StatefulMixin(state_store=store).state_for(
        ctx, agent="math", emit=deltas.append
    )


async def test_stateful_mixin_alone_scopes_state() -> None:
    store = InMemoryStateStore()
    deltas: list[StateDelta] = []
    state = _state(store, RunContext("s1", "u1", "r1"), deltas)
    await state.set("topic", "fractions")
    await state.set("level", 3, scope="user")
    await state.set("visits", 10, scope="agent")

    elsewhere = _state(store, RunContext("s2", "u1", "r2"), [])
    assert await elsewhere.get("topic") is None  # another session
    assert await elsewhere.get("level", scope="user") == 3  # same user
    stranger = _state(store, RunContext("s3", "u2", "r3"), [])
    assert await stranger.get("level", scope="user") is None
    assert await stranger.get("visits", scope="agent") == 10  # everyone's
    assert deltas == [
        StateDelta("session", {"topic": "fractions"}),
        StateDelta("user", {"level": 3}),
        StateDelta("agent", {"visits": 10}),
    ]


async def test_temp_state_lasts_one_run_and_is_never_stored() -> None:
    store = InMemoryStateStore()
    deltas: list[StateDelta] = []
    state = _state(store, RunContext("s1", "u1", "r1"), deltas)
    await state.set("scratch", [1, 2], scope="temp")
    assert await state.get("scratch", scope="temp") == [1, 2]
    assert await state.update("scratch", lambda v: [*v, 3], scope="temp") == [1, 2, 3]
    await state.delete("scratch", scope="temp")
    assert await state.get_all("temp") == {}
    assert store._data == {}  # nothing reached the store
    assert [d.scope for d in deltas] == ["temp", "temp", "temp"]
    next_run = _state(store, RunContext("s1", "u1", "r2"), [])
    assert await next_run.get_all("temp") == {}


async def test_user_state_needs_a_user() -> None:
    state = _state(InMemoryStateStore(), RunContext("s1", None, "r1"), [])
    with pytest.raises(PermissionError):
        await state.set("colour", "green", scope="user")


async def test_state_update_reports_the_new_value_as_a_delta() -> None:
    store = InMemoryStateStore()
    deltas: list[StateDelta] = []
    state = _state(store, RunContext("s1", "u1", "r1"), deltas)
    assert await state.update("count", lambda n: (n or 0) + 5) == 5
    assert deltas == [StateDelta("session", {"count": 5})]
    assert await store.get_all(StateNamespace("session", "math", None, "s1")) == {
        "count": 5
    }


# --- composed ------------------------------------------------------------------


@tool
async def bump(state: RunState) -> int:
    """Count calls in this session."""
    return await state.update("count", lambda n: (n or 0) + 1)


class MathAgent(BaseAgent, SessionMixin, StatefulMixin):
    """The article's composition order."""


class MixinsFirstAgent(SessionMixin, StatefulMixin, BaseAgent):
    """Mixins before the base: cooperative super() makes this work too."""


def _bump_model() -> ScriptedModel:
    return ScriptedModel([ToolCallRequest("c1", "bump", {})], [TextChunk("counted")])


@pytest.mark.parametrize("agent_class", [MathAgent, MixinsFirstAgent])
async def test_composed_agent_has_history_and_state_in_any_mixin_order(
    agent_class: type[BaseAgent],
) -> None:
    history, states = InMemoryHistoryStore(), InMemoryStateStore()
    model = _bump_model()
    agent = agent_class(
        [bump], model, name="math", history_store=history, state_store=states
    )
    events = await collect(agent, "count please", context("s1"))

    assert StateDelta("session", {"count": 1}) in events
    stored = await agent.get_session_history("s1")
    assert stored[0] == UserMessage("count please")
    assert [type(e) for e in stored[1:]] == [
        RunStarted,
        ToolCall,
        StateDelta,
        ToolResult,
        Final,
        RunFinished,
    ]

    model.turns = [[TextChunk("ok")]]
    await collect(agent, "and now?", context("s1"))
    assert model.seen[-1] == [
        ChatMessage("user", "count please"),
        ChatMessage("assistant", tool_calls=(ToolCallRequest("c1", "bump", {}),)),
        ChatMessage("tool", '{"result": 1}', tool_call_id="c1", name="bump"),
        ChatMessage("assistant", "counted"),
        ChatMessage("user", "and now?"),
    ]


async def test_base_agent_with_only_state_keeps_no_history() -> None:
    class StateOnly(BaseAgent, StatefulMixin):
        pass

    model = _bump_model()
    agent = StateOnly([bump], model, state_store=InMemoryStateStore())
    assert final_text(await collect(agent, "count")) == "counted"
    model.turns = [[TextChunk("ok")]]
    await collect(agent, "again")
    assert model.seen[-1] == [ChatMessage("user", "again")]


async def test_base_agent_with_only_sessions_cannot_run_state_tools() -> None:
    class SessionOnly(BaseAgent, SessionMixin):
        pass

    agent = SessionOnly([bump], _bump_model(), history_store=InMemoryHistoryStore())
    events = await collect(agent, "count")
    assert "needs agent state" in next(
        e.error for e in events if e.type == "tool_error"
    )


async def test_session_mixin_ignores_this_runs_user_message_handed_back_by_the_store() -> (
    None
):
    history = InMemoryHistoryStore()
    await history.append("s1", [UserMessage("earlier"), Final("answer")])
    # A caller that stores the message before the run, as the Django app does.
    await history.append("s1", [UserMessage("now")])
    model = ScriptedModel([TextChunk("ok")])

    class Agent(BaseAgent, SessionMixin):
        pass

    agent = Agent([], model, history_store=history)
    [event async for event in agent.run("now", context("s1"))]
    assert model.seen[0] == [
        ChatMessage("user", "earlier"),
        ChatMessage("assistant", "answer"),
        ChatMessage("user", "now"),
    ]


def test_mixins_reject_unknown_keyword_arguments() -> None:
    with pytest.raises(TypeError):
        MathAgent(
            [],
            ScriptedModel(),
            history_store=InMemoryHistoryStore(),
            state_store=InMemoryStateStore(),
            colour="green",
        )
