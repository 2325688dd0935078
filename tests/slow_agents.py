"""Agents for tests that need a run in flight or a failing model."""

import asyncio

from agents.base import BaseAgent
from agents.events import Final, Info
from agents.llm.base import ModelError, TextChunk, UsageChunk
from agents.registry import AgentRegistry, load_registry
from tests.agents.helpers import ScriptedModel


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
    """An AGENT_PLUGINS hook: `slow`, `slow-interrupt`, `broken-model`, `flood`."""
    registry.register_class(agent_with(SlowModel), name="slow")
    registry.register_class(
        agent_with(SlowModel), name="slow-interrupt", policy="interrupt"
    )
    registry.register_class(
        agent_with(lambda: ScriptedModel([ModelError("unavailable", "model is down")])),
        name="broken-model",
    )
    registry.register_class(FloodAgent, name="flood")


def registry_with_test_agents() -> AgentRegistry:
    """The shipped agents plus the test agents."""
    registry = load_registry()
    register_test_agents(registry)
    return registry
