"""Capabilities an agent opts into: conversation history and scoped state.

Each mixin adds one capability through the hooks of `AgentHooks` and calls
`super()` in every hook and in `__init__`, passing on arguments it does not
take. They therefore compose in any order with `BaseAgent`; the article's order
reads best and is the one the registry uses::

    class MathAgent(BaseAgent, SessionMixin, StatefulMixin): ...

    MathAgent(tools, llm, history_store=..., state_store=...)

Each also works on its own (without `BaseAgent`) for tests and scripts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.base import AgentHooks
from agents.context import Invocation, RunContext
from agents.events import PersistedEvent, StateDelta, UserMessage
from agents.llm.base import ChatMessage
from agents.state import RunState
from agents.stores import HistoryStore, StateStore
from agents.transcript import history_messages


class SessionMixin(AgentHooks):
    """Per-session history: the model sees the session's whole transcript.

    The history is read, never written, here: whoever consumes the run's events
    keeps them (the Django run engine stores each as it streams; `record_run`
    does it in memory). Without this mixin an agent sees nothing of earlier
    messages.
    """

    def __init__(self, *args: Any, history_store: HistoryStore, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.history_store = history_store

    async def get_session_history(self, session_id: str) -> list[PersistedEvent]:
        """The persisted events of the session's earlier runs, in order."""
        return await self.history_store.load(session_id)

    async def _history(self, inv: Invocation) -> list[ChatMessage]:
        events = await self.get_session_history(inv.ctx.session_id)
        own = [UserMessage(inv.message, inv.ctx.client_id), *inv.progress]
        if events[-len(own) :] == own:
            # The caller stores the user message before the run (the Django
            # app does, and `record_run` does), and a resumed run's events so
            # far; the loop adds them itself.
            events = events[: -len(own)]
        return [*await super()._history(inv), *history_messages(events)]


class StatefulMixin(AgentHooks):
    """Scoped key/value state (`session`, `user`, `agent`, `temp`), handed to
    tools that declare a `RunState` argument; every change is a `state_delta`."""

    def __init__(self, *args: Any, state_store: StateStore, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state_store = state_store

    def state_for(
        self, ctx: RunContext, *, agent: str, emit: Callable[[StateDelta], None]
    ) -> RunState:
        """A state handle for one run of `agent`, reporting changes to `emit`."""
        return RunState(self.state_store, agent=agent, ctx=ctx, emit=emit)

    async def _before_run(self, inv: Invocation) -> None:
        await super()._before_run(inv)
        inv.state = self.state_for(inv.ctx, agent=inv.agent, emit=inv.outbox.put_nowait)
