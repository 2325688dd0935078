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
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from agents.context import RunContext
from agents.events import (
    PERSISTED_TYPES,
    Event,
    PersistedEvent,
    RunStatus,
    StateScope,
    UserMessage,
)
from agents.transcript import PartialAnswer, closing_events


@runtime_checkable
class HistoryStore(Protocol):
    """The persisted transcript of each session, in order, as an agent reads it.

    Read-only: the transcript is written by whoever consumes the runs' events.
    """

    async def load(self, session_id: str) -> list[PersistedEvent]:
        """Events of the session's runs: each run's user message, then that run's
        events. It may end with the current run's own user message."""
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
    """Session transcripts in a dict, lost when the process ends: read by agents,
    written by `record_run` as it consumes a run (or by a test, directly)."""

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


async def record_run(
    agent: Any, message: str, ctx: RunContext, transcript: InMemoryHistoryStore
) -> AsyncIterator[Event]:
    """Run an agent and keep the run in an in-memory transcript, as the Django run
    engine keeps it in the database: the user message before the run, the run's
    persisted events (deltas are live-only) when it ends, and a cancelled run's
    closing events. Yields every event on, for scripts and tests."""
    await transcript.append(ctx.session_id, [UserMessage(message, ctx.client_id)])
    answer, started = PartialAnswer(), time.perf_counter()
    events: list[PersistedEvent] = []
    try:
        async for event in agent.run(message, ctx):
            answer.feed(event)
            if event.type in PERSISTED_TYPES:  # not deltas, nor signals
                events.append(event)
            yield event
    except (asyncio.CancelledError, GeneratorExit):
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        events += closing_events(answer, RunStatus.CANCELLED, elapsed, {})
        raise
    finally:
        await transcript.append(ctx.session_id, events)
