"""Agents for tests that need a run in flight or a failing model."""

import asyncio
import json
import os
import sys

from agents.approval import ApprovalPolicy
from agents.base import BaseAgent
from agents.events import Final, Info
from agents.llm.base import ModelError, TextChunk, ToolCallRequest, UsageChunk
from agents.mcp import McpServer
from agents.mixins import StatefulMixin
from agents.registry import AgentRegistry, load_registry
from agents.state import RunState
from agents.tools import tool
from tests.agents.helpers import ScriptedModel

# Where `side_effect` writes, and how long it and the answer after it take: the
# fault tests kill a server at each point of an approved call's path.
SIDE_EFFECT_FILE = "SIDE_EFFECT_FILE"
SIDE_EFFECT_SECONDS = "SIDE_EFFECT_SECONDS"
ANSWER_SECONDS = "GATED_ANSWER_SECONDS"


@tool
async def side_effect(label: str) -> str:
    """Do something that must happen at most once: append a line to a file.

    Args:
        label: The line.
    """
    await asyncio.to_thread(_append, os.environ[SIDE_EFFECT_FILE], label)
    await asyncio.sleep(float(os.environ.get(SIDE_EFFECT_SECONDS, "0")))
    return "done"


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as effects:
        effects.write(line + "\n")


class GatedModel:
    """Asks for one `side_effect` call per message (labelled with the message;
    "a & b" asks for two in one turn, "a" and "b"), then, once it has the
    outcome, answers after ANSWER_SECONDS."""

    name = "gated"

    async def stream(self, messages, tools):
        if messages[-1].role == "tool":
            await asyncio.sleep(float(os.environ.get(ANSWER_SECONDS, "0")))
            yield TextChunk(f"outcome: {messages[-1].content}")
        else:
            asked = [m for m in messages if m.role == "user"]
            for n, label in enumerate(asked[-1].content.split(" & ")):
                call_id = f"effect_{len(asked)}" + (f"_{n}" if n else "")
                yield ToolCallRequest(call_id, "side_effect", {"label": label})
        yield UsageChunk(1, 1)


class CallerModel:
    """Calls the tool its message names, with the JSON arguments after the name
    ("mcp_test__echo {"text": "hi"}"), then answers with what came back."""

    name = "caller"

    async def stream(self, messages, tools):
        if messages[-1].role == "tool":
            yield TextChunk(f"outcome: {messages[-1].content}")
        else:
            asked = [m for m in messages if m.role == "user"]
            name, _, args = asked[-1].content.partition(" ")
            yield ToolCallRequest(f"call_{len(asked)}", name, json.loads(args or "{}"))
        yield UsageChunk(1, 1)


# The MCP test server (tests/mcp/servers.py) over stdio, calls bounded at 2 s.
MCP_TEST_SERVER = McpServer(
    "test",
    command=sys.executable,
    args=("-m", "tests.mcp.servers", "stdio"),
    timeout=2.0,
)


@tool
async def write_state(scope: str, changes: dict, state: RunState) -> int:
    """Apply changes to one scope of the agent's state (null deletes a key).

    Args:
        scope: "session" or "user".
        changes: Keys and their new values.
    """
    await state.apply(changes, scope=scope)
    return len(changes)


class StateWriterModel:
    """Reads the user message as a JSON list of `{"scope", "changes"}` and
    calls `write_state` with each, in one turn; then answers "written"."""

    name = "state-writer"

    async def stream(self, messages, tools):
        if messages[-1].role == "tool":
            yield TextChunk("written")
            return
        writes = json.loads(messages[-1].content)
        for n, write in enumerate(writes):
            yield ToolCallRequest(f"w{n}", "write_state", write)
        if not writes:
            yield TextChunk("nothing to write")


PAUSES = 3  # tool calls a `steered` run makes before it answers


@tool
async def pause(seconds: float) -> str:
    """Wait a while, like a tool doing real work.

    Args:
        seconds: How long.
    """
    await asyncio.sleep(seconds)
    return "paused"


class PausingModel:
    """Calls `pause` PAUSES times, one call a turn, then answers with every
    user message it has seen, in order: what a steered run heard, and when."""

    name = "pausing"

    def __init__(self, seconds: float = 0.15) -> None:
        self.seconds = seconds

    async def stream(self, messages, tools):
        paused = sum(1 for m in messages if m.role == "tool")
        if paused < PAUSES:
            yield ToolCallRequest(f"p{paused}", "pause", {"seconds": self.seconds})
        else:
            heard = [m.content for m in messages if m.role == "user"]
            yield TextChunk("heard: " + " | ".join(heard))
        yield UsageChunk(1, 1)


class SlowModel:
    """Writes its answer a word every `pause` seconds: a run that stays in flight."""

    name = "slow"

    def __init__(self, words: int = 40, pause: float = 0.05) -> None:
        self.words = words
        self.pause = pause

    async def stream(self, messages, tools):
        for n in range(self.words):
            await asyncio.sleep(self.pause)
            yield TextChunk(f"word{n} ")
        yield UsageChunk(3, self.words)


def agent_with(model_factory) -> type[BaseAgent]:
    """An agent class that talks to its own model instead of the configured one."""

    class TestAgent(BaseAgent):
        def __init__(self, tools, llm, **kwargs):
            super().__init__(tools, model_factory(), **kwargs)

    return TestAgent


class FloodAgent(BaseAgent):
    """Emits `FLOOD_EVENTS` info events as fast as it can: a firehose."""

    async def _run_steps(self, inv):
        for n in range(FLOOD_EVENTS):
            yield Info(f"event {n}")
        yield Final("flooded")


FLOOD_EVENTS = 10_000


def register_test_agents(registry: AgentRegistry) -> None:
    """An AGENT_PLUGINS hook: `slow`, `slow-interrupt`, `broken-model`, `flood`,
    `state-writer` (writes the state its messages spell out as JSON),
    `steered`, `quick-steer` and `unsteerable` (pause, then say what they
    heard), and
    `gated` (its `side_effect` calls wait for the owner's approval), and
    `mcp-caller` (calls the MCP test server's tools as its messages say;
    `mcp_test__book` waits for approval)."""
    registry.register_class(agent_with(SlowModel), name="slow")
    registry.register_class(
        agent_with(SlowModel), name="slow-interrupt", policy="interrupt"
    )
    registry.register_class(
        agent_with(lambda: ScriptedModel([ModelError("unavailable", "model is down")])),
        name="broken-model",
    )
    registry.register_class(FloodAgent, name="flood")
    registry.tools[pause.name] = pause
    registry.register_class(
        agent_with(PausingModel), name="steered", tools=[pause.name], policy="steer"
    )
    registry.register_class(
        agent_with(lambda: PausingModel(0.0)),
        name="quick-steer",
        tools=[pause.name],
        policy="steer",
    )
    registry.register_class(
        agent_with(PausingModel),
        name="unsteerable",
        tools=[pause.name],
        steering=False,
    )
    registry.tools[write_state.name] = write_state
    registry.register_class(
        type("StateWriter", (agent_with(StateWriterModel), StatefulMixin), {}),
        name="state-writer",
        tools=[write_state.name],
    )
    registry.tools[side_effect.name] = side_effect
    registry.register_class(
        agent_with(GatedModel),
        name="gated",
        tools=[side_effect.name],
        approval=ApprovalPolicy((side_effect.name,)),
    )
    registry.register_class(
        agent_with(CallerModel),
        name="mcp-caller",
        mcp=[MCP_TEST_SERVER],
        approval=ApprovalPolicy(("mcp_test__book",)),
    )


def registry_with_test_agents() -> AgentRegistry:
    """The shipped agents plus the test agents."""
    registry = load_registry()
    register_test_agents(registry)
    return registry
