"""The agent loop: ask the model, stream what it says, run its tools, repeat.

`BaseAgent.run()` is a template method in the style of Google ADK: it wraps
every run in the same frame (`run_started` first, exactly one `run_finished`
last, any exception turned into an `error` event) and calls hooks that mixins
override cooperatively through `super()`. The step logic lives in
`_run_steps()`, which a subclass may replace without touching the frame.

One agent instance serves many concurrent runs: everything about a run lives in
its `Invocation`, never on `self`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, assert_never

from agents.context import Invocation, RunContext, Usage
from agents.events import (
    Delta,
    Error,
    Event,
    Final,
    RunFinished,
    RunStarted,
    RunStatus,
    Thought,
    ToolCall,
    ToolError,
    ToolResult,
)
from agents.llm.base import (
    ChatMessage,
    Model,
    ModelError,
    ReasoningChunk,
    TextChunk,
    ToolCallRequest,
    ToolSpec,
    UsageChunk,
)
from agents.tools import Tool, describe_failure
from agents.transcript import tool_message

logger = logging.getLogger(__name__)


class Policy(StrEnum):
    """What a message meets while its session's run is working: refused, queued
    behind the run, or the run interrupted for it."""

    REJECT = "reject"
    ENQUEUE = "enqueue"
    INTERRUPT = "interrupt"


POLICIES: tuple[Policy, ...] = tuple(Policy)
# How long a cancelled run waits for its tool to stop (a tool that ignores
# cancellation must not hold the cancel up).
TOOL_CANCEL_GRACE = 1.0


class AgentHooks:
    """The root of every agent class and mixin: hooks that do nothing.

    Each mixin overrides the hooks it needs and calls `super()`, so mixins
    compose in any order: the MRO always ends here.
    """

    async def _before_run(self, inv: Invocation) -> None:
        """Prepare the run (e.g. its state handle) before the model is asked."""

    async def _history(self, inv: Invocation) -> list[ChatMessage]:
        """Messages of earlier runs the model should see before this message."""
        return []


@dataclass
class _Turn:
    """What the model said in one turn."""

    texts: list[str] = field(default_factory=list)
    calls: list[ToolCallRequest] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.texts)


class BaseAgent(AgentHooks):
    """An agent with tools and a model; add capabilities with mixins.

    `run()` yields `RunStarted`, then each step the moment it happens (thoughts,
    answer deltas, tool calls and their results or errors, state changes), then
    `Final` (or `Error`), then one `RunFinished`. A cancel (task cancellation or
    `aclose()`) propagates: the caller records the cancelled `run_finished`.
    """

    def __init__(
        self,
        tools: Sequence[Tool],
        llm: Model,
        *,
        name: str = "agent",
        description: str = "",
        instructions: str = "",
        max_steps: int = 8,
        step_delay: float = 0.0,
        policy: Policy = Policy.REJECT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tools = {tool.name: tool for tool in tools}
        if len(self.tools) != len(tools):
            raise ValueError(f"{name}: two tools share a name")
        if policy not in POLICIES:
            raise ValueError(f"{name}: policy must be one of {POLICIES}")
        if max_steps < 1:
            raise ValueError(f"{name}: max_steps must be at least 1")
        self.llm = llm
        self.name = name
        self.description = description
        self.instructions = instructions
        self.max_steps = max_steps
        self.step_delay = step_delay
        self.policy = policy

    async def run(
        self, message: str, ctx: RunContext, usage: Usage | None = None
    ) -> AsyncIterator[Event]:
        """Answer `message`, yielding every step, `run_finished` last. The caller
        stores the user message before the run and persists what it yields (the
        agent only reads its history); this yields no `UserMessage`. A cancel
        propagates, and the caller closes the run with `closing_events`, using
        the tokens counted in `usage` if it passed one."""
        inv = Invocation(
            ctx=ctx, message=message, agent=self.name, tokens=usage or Usage()
        )
        async with contextlib.aclosing(self._guarded(inv)) as events:
            async for event in events:
                inv.record(event)
                yield event
                await asyncio.sleep(0)  # a fast consumer must not starve the loop
        status = RunStatus.FAILED if inv.failed else RunStatus.SUCCEEDED
        yield RunFinished(status, inv.elapsed_ms(), inv.usage)

    async def _guarded(self, inv: Invocation) -> AsyncIterator[Event]:
        """The steps between `run_started` and `run_finished`, exceptions caught."""
        yield RunStarted(self.name)
        try:
            await self._before_run(inv)
            async with contextlib.aclosing(self._run_steps(inv)) as steps:
                async for event in steps:
                    yield event
                    for queued in inv.queued():
                        yield queued
        except ModelError as exc:
            yield Error(exc.code, exc.message)
        except Exception as exc:
            logger.exception("%s failed in run %s", self.name, inv.ctx.run_id)
            yield Error("agent_error", describe_failure(exc))
        for queued in inv.queued():
            yield queued

    async def _run_steps(self, inv: Invocation) -> AsyncIterator[Event]:
        """The loop: each step one model turn, then the tools it asked for."""
        system = [ChatMessage("system", self.instructions)] if self.instructions else []
        history = await self._history(inv)
        messages = [*system, *history, ChatMessage("user", inv.message)]
        specs = [tool.spec for tool in self.tools.values()]
        for step in range(self.max_steps):
            if step and self.step_delay > 0:
                await asyncio.sleep(self.step_delay)
            turn = _Turn()
            async with contextlib.aclosing(
                self._model_turn(inv, messages, specs, turn)
            ) as events:
                async for event in events:
                    yield event
            if not turn.calls:
                yield Final(turn.text)
                return
            if turn.text:
                # Text next to tool calls was the model thinking aloud, not its answer.
                yield Thought(turn.text)
            messages.append(ChatMessage("assistant", turn.text, tuple(turn.calls)))
            for call in turn.calls:
                async with contextlib.aclosing(self._call_tool(inv, call)) as events:
                    async for event in events:
                        yield event
                        if isinstance(event, ToolResult | ToolError):
                            messages.append(tool_message(event))
        yield Error(
            "max_steps",
            f"Stopped after {self.max_steps} steps without reaching an answer.",
        )

    async def _model_turn(
        self,
        inv: Invocation,
        messages: list[ChatMessage],
        specs: list[ToolSpec],
        turn: _Turn,
    ) -> AsyncIterator[Event]:
        """Stream one model turn: text as deltas at once, reasoning gathered into
        one thought per stretch, tool calls and usage kept for the loop."""
        reasoning: list[str] = []
        stream = self.llm.stream(list(messages), specs)
        try:
            async for chunk in stream:
                if isinstance(chunk, ReasoningChunk):
                    reasoning.append(chunk.text)
                    continue
                if reasoning:
                    yield Thought("".join(reasoning))
                    reasoning.clear()
                match chunk:
                    case TextChunk(text=text):
                        turn.texts.append(text)
                        yield Delta(text)
                    case ToolCallRequest():
                        turn.calls.append(chunk)
                    case UsageChunk(input_tokens=used_in, output_tokens=used_out):
                        inv.tokens.input_tokens += used_in
                        inv.tokens.output_tokens += used_out
                    case _:
                        assert_never(chunk)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()  # e.g. release the HTTP response of a cancelled turn
        if reasoning:
            yield Thought("".join(reasoning))

    async def _call_tool(
        self, inv: Invocation, call: ToolCallRequest
    ) -> AsyncIterator[Event]:
        """`tool_call`, any state changes as they happen, then the outcome."""
        yield ToolCall(call.call_id, call.name, call.args)
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(self.tools) or "none"
            yield ToolError(
                call.call_id, call.name, f"unknown tool {call.name!r} (known: {known})"
            )
            return
        started = time.perf_counter()
        task = asyncio.create_task(tool.invoke(call.args, state=inv.state))
        try:
            while not task.done():
                queued = asyncio.ensure_future(inv.outbox.get())
                try:
                    await asyncio.wait(
                        {task, queued}, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    queued.cancel()
                if queued.done() and not queued.cancelled():
                    yield queued.result()
        finally:
            if not task.done():  # the run was cancelled or closed mid-tool
                task.cancel()
                await asyncio.wait({task}, timeout=TOOL_CANCEL_GRACE)
        for event in inv.queued():
            yield event
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        if (exc := task.exception()) is not None:
            yield ToolError(call.call_id, call.name, describe_failure(exc))
        else:
            yield ToolResult(call.call_id, call.name, task.result(), duration_ms)
