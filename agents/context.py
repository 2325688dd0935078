"""What one run knows: who asked where (`RunContext`) and its working state.

One agent instance serves many runs at once (Alice's and Bob's), so nothing
about a run may live on the agent: the caller describes the run with a frozen
`RunContext`, and the agent keeps everything else in an `Invocation` that only
that run's generator can see.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agents.events import Error, Event, PersistedEvent
from agents.transcript import PartialAnswer

if TYPE_CHECKING:
    from agents.llm.base import Projection
    from agents.state import RunState


@dataclass(frozen=True, slots=True)
class RunContext:
    """The caller's description of a run: the session and user it belongs to."""

    session_id: str
    user_id: str | None
    run_id: str
    client_id: str | None = None


class Inbox(Protocol):
    """Messages a person sent to steer a run while it works, stored by the
    caller before they are handed over, each handed over once."""

    async def take(self, closing: bool) -> list[str]:
        """The texts that arrived since the last take, oldest first. `closing`
        when the run would finish: if none arrived, no more may arrive (the
        caller sends later ones to the next run)."""
        ...


class Allowance(Protocol):
    """The budgets a run spends from, consulted around each model turn."""

    async def charge(self, call: Projection) -> list[str]:
        """Count the turn's projection against every budget over the run,
        before the turn is made, and return warnings to show in the run; or
        raise `ModelError("budget_exceeded", ...)`, charging nothing, when a
        budget has not that much left."""
        ...

    async def settle(self, call: Projection, used: tuple[int, int] | None) -> None:
        """Replace a charged projection by the (input, output) tokens the turn
        used; None when that is unknown, and the projection stands."""
        ...


@dataclass(eq=False)
class Usage:
    """Tokens a run's model turns used so far, and the model that used them (a
    run talks to one model). The caller may own it, so a run stopped from
    outside (cancelled) still says what it consumed."""

    input_tokens: int = 0
    output_tokens: int = 0
    model: str = ""

    def as_dict(self) -> dict[str, Any]:
        return usage_dict(self.input_tokens, self.output_tokens, self.model)


def usage_dict(input_tokens: int, output_tokens: int, model: str) -> dict[str, Any]:
    """Tokens as `run_finished.usage` spells them: the totals, and `by_model`,
    each model's share (one model's: all of it), once a model is known."""
    totals = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    return {**totals, "by_model": [{"model": model, **totals}] if model else []}


@dataclass(eq=False)
class Invocation:
    """One run's private working state, created by `BaseAgent.run()`.

    Mixin hooks read and fill it: `StatefulMixin` puts the run's `state` here.
    `outbox` carries events raised outside the step loop (state changes inside a
    tool) to the stream. `progress` holds the run's own stored events when it
    resumes after approval decisions; `waiting` the calls it now waits on;
    `inbox` the messages that steer it; `allowance` the budgets it spends.
    """

    ctx: RunContext
    message: str
    agent: str
    progress: tuple[PersistedEvent, ...] = ()
    waiting: list[str] = field(default_factory=list)
    state: RunState | None = None
    failed: bool = False  # an `error` event was yielded
    answer: PartialAnswer = field(default_factory=PartialAnswer)
    outbox: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)
    tokens: Usage = field(default_factory=Usage)
    inbox: Inbox | None = None
    allowance: Allowance | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def usage(self) -> dict[str, int]:
        return self.tokens.as_dict()

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 3)

    def record(self, event: Event) -> None:
        """Note an event as it is yielded: the answer so far, and any error."""
        self.answer.feed(event)
        self.failed = self.failed or isinstance(event, Error)

    def queued(self) -> list[Event]:
        """Take every event waiting in the outbox."""
        events = []
        while not self.outbox.empty():
            events.append(self.outbox.get_nowait())
        return events
