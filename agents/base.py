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
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, assert_never

from agents.approval import ApprovalPolicy, OpenCall, open_calls
from agents.context import Allowance, Inbox, Invocation, RunContext, Usage
from agents.events import (
    ApprovalRequested,
    AwaitingApproval,
    Delta,
    Error,
    Event,
    Final,
    GatedCallStarting,
    Info,
    PersistedEvent,
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
    projected,
)
from agents.tools import Tool, ToolArgumentError, describe_failure
from agents.transcript import call_messages, history_messages, tool_message

logger = logging.getLogger(__name__)


class Policy(StrEnum):
    """What a message meets while its session's run is working: refused, queued
    behind the run, the run interrupted for it, or taken into the run at its
    next step (steering)."""

    REJECT = "reject"
    ENQUEUE = "enqueue"
    INTERRUPT = "interrupt"
    STEER = "steer"


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


async def _steering(inv: Invocation, closing: bool) -> list[ChatMessage]:
    """The steering messages that arrived, as user messages for the model."""
    if inv.inbox is None:
        return []
    return [ChatMessage("user", text) for text in await inv.inbox.take(closing)]


class BaseAgent(AgentHooks):
    """An agent with tools and a model; add capabilities with mixins.

    `run()` yields `RunStarted`, then each step the moment it happens (thoughts,
    answer deltas, tool calls and their results or errors, state changes), then
    `Final` (or `Error`), then one `RunFinished`. A cancel (task cancellation or
    `aclose()`) propagates: the caller records the cancelled `run_finished`.

    Calls that `approval` gates are asked for with `approval_requested`; when a
    turn leaves any waiting, the run ends its stream with the `AwaitingApproval`
    signal instead of `RunFinished`, and is run again with its stored events
    as `progress` once every one is decided.
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
        approval: ApprovalPolicy | None = None,
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
        self.approval = approval or ApprovalPolicy()

    async def run(
        self,
        message: str,
        ctx: RunContext,
        usage: Usage | None = None,
        progress: Sequence[PersistedEvent] = (),
        inbox: Inbox | None = None,
        allowance: Allowance | None = None,
    ) -> AsyncIterator[Event]:
        """Answer `message`, yielding every step, `run_finished` last (or the
        `AwaitingApproval` signal). The caller stores the user message before
        the run and persists what it yields (the agent only reads its history);
        this yields no `UserMessage`. A cancel propagates, and the caller closes
        the run with `closing_events`, using the tokens counted in `usage` if it
        passed one. `progress` resumes a run that waited for approvals: its
        stored events after the user message, decisions included. `inbox`
        hands over messages sent to steer the run while it works; `allowance`
        is charged before each model turn and may refuse it."""
        inv = Invocation(
            ctx=ctx,
            message=message,
            agent=self.name,
            progress=tuple(progress),
            tokens=usage or Usage(),
            inbox=inbox,
            allowance=allowance,
        )
        async with contextlib.aclosing(self._guarded(inv)) as events:
            async for event in events:
                inv.record(event)
                yield event
                await asyncio.sleep(0)  # a fast consumer must not starve the loop
        if inv.waiting and not inv.failed:
            yield AwaitingApproval()
            return
        status = RunStatus.FAILED if inv.failed else RunStatus.SUCCEEDED
        yield RunFinished(status, inv.elapsed_ms(), inv.usage)

    async def _guarded(self, inv: Invocation) -> AsyncIterator[Event]:
        """The steps between `run_started` and `run_finished`, exceptions caught."""
        if not inv.progress:
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
        """The loop: each step one model turn, then the tools it asked for.

        A resumed run first settles its decided calls. Each human decision gives
        the run a fresh `max_steps`: the limit guards against a model looping
        on its own, and a person was in the loop.

        Steering messages join the conversation before each model turn after
        the first, where a user message may stand (never between a call and its
        result). An answer the model finished while one arrived was a draft: it
        becomes a thought (left out of the conversation, as thoughts are) and
        the model answers again with both messages before it; the inbox closes
        with the answer, so a later message starts the next run.
        """
        system = [ChatMessage("system", self.instructions)] if self.instructions else []
        history = await self._history(inv)
        messages = [
            *system,
            *history,
            ChatMessage("user", inv.message),
            *history_messages(inv.progress),
        ]
        specs = [tool.spec for tool in self.tools.values()]
        for decided in open_calls(inv.progress):
            async with contextlib.aclosing(self._decided_call(inv, decided)) as events:
                async for event in events:
                    yield event
                    if isinstance(event, ToolResult | ToolError):
                        messages += call_messages(decided.call, event)
        for step in range(self.max_steps):
            if step and self.step_delay > 0:
                await asyncio.sleep(self.step_delay)
            if step:
                messages += await _steering(inv, closing=False)
            turn = _Turn()
            async with contextlib.aclosing(
                self._model_turn(inv, messages, specs, turn)
            ) as events:
                async for event in events:
                    yield event
            if not turn.calls:
                steered = await _steering(inv, closing=True)
                if not steered:
                    yield Final(turn.text)
                    return
                if turn.text:  # a thought, which models are not shown again
                    yield Thought(turn.text)
                messages += steered
                continue
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
            if inv.waiting:
                return  # resumed from the stored events once all are decided
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
        one thought per stretch, tool calls and usage kept for the loop.

        The run's allowance is charged the turn's projection first (its
        warnings shown as `info`), and settled with what the turn used, even
        when it fails or is cancelled."""
        reasoning: list[str] = []
        allowance = inv.allowance
        if allowance is not None:
            call = projected(self.llm, messages, specs)
            for warning in await allowance.charge(call):
                yield Info(warning)
        used: tuple[int, int] | None = None  # unknown until the model says
        answered = False
        stream = self.llm.stream(list(messages), specs)
        try:
            async for chunk in stream:
                answered = True
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
                        inv.tokens.model = inv.tokens.model or self.llm.name
                        inv.tokens.input_tokens += used_in
                        inv.tokens.output_tokens += used_out
                        used = (used_in, used_out)
                    case _:
                        assert_never(chunk)
        except ModelError:
            if not answered:
                used = (0, 0)  # it failed before it wrote a word
            raise
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()  # e.g. release the HTTP response of a cancelled turn
            if allowance is not None:
                await allowance.settle(call, used)
        if reasoning:
            yield Thought("".join(reasoning))

    async def _call_tool(
        self, inv: Invocation, call: ToolCallRequest
    ) -> AsyncIterator[Event]:
        """`tool_call`, then the outcome with any state changes as they happen,
        or, for a gated call, the request for a decision."""
        yield ToolCall(call.call_id, call.name, call.args)
        tool = self.tools.get(call.name)
        if tool is None:
            yield self._unknown(call.call_id, call.name)
            return
        if not self.approval.gates(tool):
            async with contextlib.aclosing(
                self._execute(inv, call.call_id, tool, call.args)
            ) as events:
                async for event in events:
                    yield event
            return
        try:
            args = tool.check(call.args)  # nobody should approve a call that cannot run
        except ToolArgumentError as exc:
            yield ToolError(call.call_id, call.name, describe_failure(exc))
            return
        inv.waiting.append(call.call_id)
        yield ApprovalRequested(
            str(uuid.uuid4()),
            call.call_id,
            call.name,
            args,
            self.approval.approver,
            self.approval.expiry(),
        )

    async def _decided_call(
        self, inv: Invocation, decided: OpenCall
    ) -> AsyncIterator[Event]:
        """A decided call of a resumed run: run as approved, or refused."""
        call, tool = decided.call, self.tools.get(decided.call.tool)
        if not decided.decision_runs:
            yield decided.refusal()
        elif tool is None:  # the definition changed while the call waited
            yield self._unknown(call.call_id, call.tool)
        else:
            yield GatedCallStarting(call.call_id, call.tool)
            async with contextlib.aclosing(
                self._execute(inv, call.call_id, tool, decided.decision.args)
            ) as events:
                async for event in events:
                    yield event

    def _unknown(self, call_id: str, name: str) -> ToolError:
        known = ", ".join(self.tools) or "none"
        return ToolError(call_id, name, f"unknown tool {name!r} (known: {known})")

    async def _execute(
        self, inv: Invocation, call_id: str, tool: Tool, args: dict[str, Any]
    ) -> AsyncIterator[Event]:
        """Run a tool: state changes as they happen, then its result or error."""
        started = time.perf_counter()
        task = asyncio.create_task(tool.invoke(args, state=inv.state))
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
            yield ToolError(call_id, tool.name, describe_failure(exc))
        else:
            yield ToolResult(call_id, tool.name, task.result(), duration_ms)
