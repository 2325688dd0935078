"""Shared test doubles for the agent framework: a scripted model and run helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence

from agents.base import BaseAgent
from agents.context import RunContext
from agents.events import Delta, Event, Final, RunFinished
from agents.llm.base import ChatMessage, ModelChunk, ToolSpec
from agents.stores import InMemoryHistoryStore, record_run


class ScriptedModel:
    """A model that plays back one list of chunks per turn, recording what it saw.

    A chunk may be an exception instance: it is raised at that point.
    """

    name = "scripted"

    def __init__(self, *turns: Sequence[ModelChunk | BaseException]) -> None:
        self.turns = list(turns)
        self.seen: list[list[ChatMessage]] = []
        self.offered: list[list[str]] = []

    async def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncIterator[ModelChunk]:
        self.seen.append(list(messages))
        self.offered.append([spec.name for spec in tools])
        turn = self.turns.pop(0) if self.turns else []
        for chunk in turn:
            await asyncio.sleep(0)
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk


def context(session: str = "s1", user: str | None = "u1") -> RunContext:
    return RunContext(session_id=session, user_id=user, run_id=uuid.uuid4().hex)


async def collect(
    agent: BaseAgent, message: str, ctx: RunContext | None = None
) -> list[Event]:
    """A run's events, kept in the agent's in-memory history when it has one, as
    the run engine keeps them in the database (agents only read their history)."""
    ctx = ctx or context()
    store = getattr(agent, "history_store", None)
    if isinstance(store, InMemoryHistoryStore):
        return [event async for event in record_run(agent, message, ctx, store)]
    return [event async for event in agent.run(message, ctx)]


def types(events: Iterable[Event]) -> list[str]:
    return [event.type for event in events if not isinstance(event, Delta)]


def final_text(events: Sequence[Event]) -> str:
    finals = [event for event in events if isinstance(event, Final)]
    assert len(finals) == 1, types(events)
    return finals[0].text


def finished(events: Sequence[Event]) -> RunFinished:
    assert sum(isinstance(event, RunFinished) for event in events) == 1
    assert isinstance(events[-1], RunFinished)
    return events[-1]
