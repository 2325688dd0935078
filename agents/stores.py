"""Where sessions and state live: two small store protocols and in-memory stores.

Agents never know whether their history sits in a dict or in PostgreSQL: the
mixins talk to these protocols only, and the Django app implements them on the
ORM. The in-memory stores serve tests, scripts and single-process demos; they
copy values in and out so that, like a database, nothing a caller holds can
change what is stored.
"""

from __future__ import annotations

import asyncio
import copy
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from agents.events import PersistedEvent, StateScope


@runtime_checkable
class HistoryStore(Protocol):
    """The persisted transcript of each session, in order."""

    async def load(self, session_id: str) -> list[PersistedEvent]:
        """Events of the session's earlier runs: each run's user message, then that
        run's events. The current run's own user message must not be included."""
        ...

    async def append(self, session_id: str, events: Sequence[PersistedEvent]) -> None:
        """Add one finished run (its user message first) to the session.

        A store whose transcript is written by someone else (the Django app
        stores each event as it streams) may make this a no-op.
        """
        ...


@dataclass(frozen=True, slots=True)
class StateNamespace:
    """The key space of one scope; parts a scope does not use are `None`.

    `session`: one conversation. `user`: all of one user's sessions with one
    agent. `agent`: everyone's, for one agent. `temp` never reaches a store.
    """

    scope: StateScope
    agent: str
    user_id: str | None = None
    session_id: str | None = None


@runtime_checkable
class StateStore(Protocol):
    """Key/value state per namespace, with atomic per-key updates."""

    async def get_all(self, ns: StateNamespace) -> dict[str, Any]: ...

    async def apply(self, ns: StateNamespace, changes: dict[str, Any]) -> None:
        """Set each key to its value; a `None` value deletes the key."""
        ...

    async def update(
        self, ns: StateNamespace, key: str, fn: Callable[[Any], Any]
    ) -> Any:
        """Atomically replace the key's value (`None` when absent) with `fn(value)`
        and return it; concurrent updates of one key never lose a write."""
        ...


class InMemoryHistoryStore:
    """Session transcripts in a dict: lost when the process ends."""

    def __init__(self) -> None:
        self._sessions: dict[str, list[PersistedEvent]] = defaultdict(list)

    async def load(self, session_id: str) -> list[PersistedEvent]:
        return copy.deepcopy(self._sessions.get(session_id, []))

    async def append(self, session_id: str, events: Sequence[PersistedEvent]) -> None:
        self._sessions[session_id].extend(copy.deepcopy(list(events)))


class InMemoryStateStore:
    """State in a dict, one `asyncio.Lock` per key for read-modify-write.

    With a plain function `fn` and no await between read and write, an update is
    already atomic on one event loop; the lock keeps it so for slow `fn`s and for
    subclasses that add I/O (a write-through cache, say) between the two.
    """

    def __init__(self) -> None:
        self._data: dict[StateNamespace, dict[str, Any]] = defaultdict(dict)
        self._locks: dict[tuple[StateNamespace, str], asyncio.Lock] = defaultdict(
            asyncio.Lock
        )

    async def get_all(self, ns: StateNamespace) -> dict[str, Any]:
        _refuse_temp(ns)
        return copy.deepcopy(self._data.get(ns, {}))

    async def apply(self, ns: StateNamespace, changes: dict[str, Any]) -> None:
        _refuse_temp(ns)
        values = self._data[ns]
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = copy.deepcopy(value)

    async def update(
        self, ns: StateNamespace, key: str, fn: Callable[[Any], Any]
    ) -> Any:
        _refuse_temp(ns)
        async with self._locks[ns, key]:
            value = fn(copy.deepcopy(self._data[ns].get(key)))
            await self.apply(ns, {key: value})
            return copy.deepcopy(value)


def _refuse_temp(ns: StateNamespace) -> None:
    if ns.scope == "temp":
        raise ValueError("temp state belongs to one run and is never stored")
