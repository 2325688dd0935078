"""One run's handle on scoped state: reads, writes, and a `state_delta` per write.

Tools that need state declare a parameter annotated `RunState`; the agent passes
the run's handle in (it is never part of the tool's JSON schema). Every change
is reported through `emit` the moment it is made, so the transcript explains why
state is what it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.context import RunContext
from agents.events import StateDelta, StateScope
from agents.stores import StateNamespace, StateStore


class RunState:
    """State as seen by one run of one agent: scopes `session`, `user`, `agent`
    (through the store) and `temp` (in this object only, gone after the run)."""

    def __init__(
        self,
        store: StateStore,
        *,
        agent: str,
        ctx: RunContext,
        emit: Callable[[StateDelta], None],
    ) -> None:
        self._store = store
        self._agent = agent
        self._ctx = ctx
        self._emit = emit
        self._temp: dict[str, Any] = {}

    def namespace(self, scope: StateScope) -> StateNamespace:
        """The store key space of `scope` for this run."""
        match scope:
            case "session":
                return StateNamespace(scope, self._agent, None, self._ctx.session_id)
            case "user":
                if self._ctx.user_id is None:
                    # A shared "anonymous" namespace would leak between strangers.
                    raise PermissionError("user state needs a signed-in user")
                return StateNamespace(scope, self._agent, self._ctx.user_id, None)
            case "agent":
                return StateNamespace(scope, self._agent, None, None)
            case "temp":
                raise ValueError("temp state is never stored")

    async def get_all(self, scope: StateScope = "session") -> dict[str, Any]:
        if scope == "temp":
            return dict(self._temp)
        return await self._store.get_all(self.namespace(scope))

    async def get(
        self, key: str, scope: StateScope = "session", default: Any = None
    ) -> Any:
        return (await self.get_all(scope)).get(key, default)

    async def apply(
        self, changes: dict[str, Any], scope: StateScope = "session"
    ) -> None:
        """Set several keys at once (`None` deletes): one `state_delta`."""
        if scope == "temp":
            for key, value in changes.items():
                if value is None:
                    self._temp.pop(key, None)
                else:
                    self._temp[key] = value
        else:
            await self._store.apply(self.namespace(scope), changes)
        self._emit(StateDelta(scope, dict(changes)))

    async def set(self, key: str, value: Any, scope: StateScope = "session") -> None:
        await self.apply({key: value}, scope)

    async def delete(self, key: str, scope: StateScope = "session") -> None:
        await self.apply({key: None}, scope)

    async def update(
        self, key: str, fn: Callable[[Any], Any], scope: StateScope = "session"
    ) -> Any:
        """Atomically replace `key`'s value with `fn(value)`; return the new value."""
        if scope == "temp":
            value = fn(self._temp.get(key))
            await self.apply({key: value}, "temp")
            return value
        value = await self._store.update(self.namespace(scope), key, fn)
        self._emit(StateDelta(scope, {key: value}))
        return value
