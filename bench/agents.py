"""Agents the benchmark loads into the server with AGENT_PLUGINS=bench.agents.register.

The shipped agents answer with a handful of events; measuring the store-and-stream
path needs runs whose size and pace the benchmark chooses, so these agents read
their parameters from the user message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from mcp_server_time.server import TimeServer

from agents.base import BaseAgent
from agents.context import Invocation
from agents.events import (
    Delta,
    Event,
    Final,
    Info,
    StateDelta,
    Thought,
    ToolCall,
    ToolResult,
)
from agents.llm.base import TextChunk, ToolCallRequest
from agents.mcp import McpServer
from agents.registry import AgentRegistry
from agents.tools import tool

FLOOD = "bench-flood"
PACED = "bench-paced"
STEPS = "bench-steps"
CLOCK_LOCAL = "bench-clock-local"
CLOCK_MCP = "bench-clock-mcp"
# The published time server, as the bundled clock agent runs it.
CLOCK_SERVER = McpServer(
    "clock", command="mcp-server-time", args=("--local-timezone", "UTC")
)
# Upper bounds, so that a typo in a message cannot start an endless run.
MAX_EVENTS = 1_000_000
MAX_SECONDS = 120.0
MAX_CALLS = 200


def _numbers(message: str, defaults: tuple[float, ...]) -> list[float]:
    """The numbers in `message`, falling back to `defaults` for missing ones."""
    found = [
        float(word) for word in message.split() if word.replace(".", "", 1).isdigit()
    ]
    return [*found, *defaults[len(found) :]]


class FloodAgent(BaseAgent):
    """Emits N info events as fast as it can (message: "N"): the firehose whose
    throughput is the store-and-stream path's throughput."""

    async def _run_steps(self, inv: Invocation) -> AsyncIterator[Event]:
        (count,) = _numbers(inv.message, (1000,))
        for n in range(min(int(count), MAX_EVENTS)):
            yield Info(f"event {n}")
        yield Final("flooded")


class PacedAgent(BaseAgent):
    """Emits info events at a steady rate (message: "RATE SECONDS"), so latency is
    measured at a known load rather than at saturation."""

    async def _run_steps(self, inv: Invocation) -> AsyncIterator[Event]:
        rate, seconds = _numbers(inv.message, (500, 2))
        total = int(rate * min(seconds, MAX_SECONDS))
        start = time.monotonic()
        for n in range(min(total, MAX_EVENTS)):
            # Deadline-based pacing: sleep errors do not accumulate into drift.
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            yield Info(f"event {n}")
        yield Final("paced")


class StepsAgent(BaseAgent):
    """Takes N model-like steps (message: "N"), then answers: each step streams
    text that is stored as a thought, calls a tool, stores its result and a
    state change. Info events go through AG-UI as CUSTOM events only; this run
    exercises every mapping a real model's run does (text brackets, reasoning,
    tool calls, JSON Patch state), with the deltas a model streams."""

    async def _run_steps(self, inv: Invocation) -> AsyncIterator[Event]:
        (count,) = _numbers(inv.message, (10,))
        for n in range(min(int(count), MAX_EVENTS)):
            words = (f"step {n}: ", "adding ", "one")
            for word in words:
                yield Delta(word)
            yield Thought("".join(words))
            yield ToolCall(f"call-{n}", "add", {"a": n, "b": 1})
            yield ToolResult(f"call-{n}", "add", n + 1, 0.1)
            yield StateDelta("session", {"step": n})
        for word in ("all ", "steps ", "done"):
            yield Delta(word)
        yield Final("all steps done")


@tool
def get_current_time(timezone: str) -> dict:
    """The time server's own function, called in process: the same tool as
    `mcp_clock__get_current_time`, without the protocol between.

    Args:
        timezone: An IANA zone name.
    """
    return TimeServer().get_current_time(timezone).model_dump()


class ClockCallerModel:
    """Calls `tool` once per turn (message: "N"), N times, then answers: a run
    whose cost is its tool calls."""

    name = "clock-caller"

    def __init__(self, tool: str) -> None:
        self.tool = tool

    async def stream(self, messages, tools):
        (count,) = _numbers(
            next(m for m in messages if m.role == "user").content, (10,)
        )
        done = sum(1 for m in messages if m.role == "tool")
        if done < count:
            yield ToolCallRequest(f"call-{done}", self.tool, {"timezone": "UTC"})
        else:
            yield TextChunk(f"{done} calls")


def _clock_agent(tool: str) -> type[BaseAgent]:
    class ClockAgent(BaseAgent):
        def __init__(self, tools, llm, **kwargs):
            super().__init__(tools, ClockCallerModel(tool), **kwargs)

    return ClockAgent


def register(registry: AgentRegistry) -> None:
    """The AGENT_PLUGINS hook: adds `bench-flood`, `bench-paced`, `bench-steps`,
    and `bench-clock-local` / `bench-clock-mcp`, which call the time server's
    `get_current_time` in process or over MCP."""
    registry.register_class(FloodAgent, name=FLOOD, description="benchmark firehose")
    registry.register_class(PacedAgent, name=PACED, description="benchmark pacer")
    registry.register_class(StepsAgent, name=STEPS, description="benchmark steps")
    registry.tools[get_current_time.name] = get_current_time
    registry.register_class(
        _clock_agent(get_current_time.name),
        name=CLOCK_LOCAL,
        tools=[get_current_time.name],
        max_steps=MAX_CALLS + 1,
    )
    registry.register_class(
        _clock_agent("mcp_clock__get_current_time"),
        name=CLOCK_MCP,
        mcp=[CLOCK_SERVER],
        max_steps=MAX_CALLS + 1,
    )
