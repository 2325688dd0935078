"""Micro-batched storing and publishing of one run's events.

One insert per event tops out near 2,000 events/s per process; a batch of dozens
costs about the same as one. The recorder therefore collects what the agent yields
for a few milliseconds (and whatever arrives while the previous batch is being
written), stores the batch in one transaction, and only then publishes it, so that
nothing is ever published that is not stored. Live-only deltas ride along in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from django.db import InterfaceError, OperationalError

from agents.events import (
    Delta,
    Event,
    PersistedEvent,
    RunFinished,
    ToolError,
    ToolResult,
)
from conversations.engine.storage import finish_run, suspend_run, write_batch
from conversations.engine.threads import in_db_thread
from conversations.layer import publish_frames

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def delta_frame(run_id: Any, delta: Delta) -> dict:
    return {"type": "delta", "run": str(run_id), "data": {"text": delta.text}}


def interleave(
    run_id: Any, batch: Sequence[Event], envelopes: list[dict]
) -> list[dict]:
    """Put stored envelopes and delta frames back in the order they were yielded;
    envelopes of events the batch did not hold (a run's closing) come last."""
    stored = iter(envelopes)
    frames = [
        delta_frame(run_id, event) if isinstance(event, Delta) else next(stored)
        for event in batch
    ]
    frames.extend(stored)
    return frames


async def with_retries(fn, *args, attempts: int = 6, first_delay: float = 0.2):
    """Call a DB function in a worker thread, retrying transient connection errors
    with exponential backoff (0.2 s doubling: about 6 s in all) before giving up."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await in_db_thread(fn, *args)
        except TRANSIENT_ERRORS:
            if attempt == attempts:
                raise
            logger.warning(
                "database unavailable, retry %d/%d in %.1fs", attempt, attempts, delay
            )
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


class EventRecorder:
    """Stores and publishes one run's events in order, in small batches."""

    def __init__(
        self,
        session_id: Any,
        run_id: Any,
        *,
        window: float = 0.002,
        max_pending: int = 1000,
    ) -> None:
        self.session_id = session_id
        self.run_id = run_id
        self.window = window
        self.max_pending = max_pending
        self._pending: list[Event] = []
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._closing = False
        self.failure: BaseException | None = None  # a batch that could not be stored
        self._task: asyncio.Task | None = None
        # Gated calls started and not yet finished: the batch holding one's
        # outcome closes its execution record in the same transaction.
        self.executing: set[str] = set()

    async def add(self, event: Event) -> None:
        """Queue an event; waits only when the writer is far behind (backpressure)."""
        if self.failure is not None:
            raise self.failure
        if self._task is None:
            self._task = asyncio.create_task(self._flush_loop())
        self._pending.append(event)
        self._wakeup.set()
        if len(self._pending) >= self.max_pending:
            self._drained.clear()
            await self._drained.wait()
            if self.failure is not None:
                raise self.failure

    async def close(self, finished: RunFinished, error: str = "") -> None:
        """Flush what is pending and store `run_finished` with the run's final
        status (after the events that settle any gated call left open)."""
        batch, persisted = await self._last_batch()
        envelopes = await with_retries(
            finish_run,
            self.run_id,
            self.session_id,
            persisted,
            finished,
            error,
            self._executed(persisted),
        )
        await self._publish_last(batch, envelopes)

    async def suspend(self, usage: dict[str, int]) -> str:
        """Flush what is pending and leave the run waiting for approvals; return
        what became of it (see `suspend_run`)."""
        batch, persisted = await self._last_batch()
        outcome, envelopes = await with_retries(
            suspend_run, self.run_id, self.session_id, persisted, usage
        )
        await self._publish_last(batch, envelopes)
        return outcome

    async def _last_batch(self) -> tuple[list[Event], list[PersistedEvent]]:
        self._closing = True
        if self._task is not None:
            self._wakeup.set()
            await asyncio.shield(self._task)
        batch, self._pending = self._pending, []
        return batch, [e for e in batch if not isinstance(e, Delta)]

    async def _publish_last(self, batch: list[Event], envelopes: list[dict]) -> None:
        """Publish the last batch; the closing events it did not yield (a
        `run_finished`, the settling of open calls) follow its events."""
        if not envelopes:  # the run had been finished elsewhere already
            return
        await publish_frames(self.session_id, interleave(self.run_id, batch, envelopes))

    def _executed(self, persisted: list[PersistedEvent]) -> list[str]:
        """The gated calls whose outcome is among `persisted`."""
        if not self.executing:
            return []
        done = [
            e.call_id
            for e in persisted
            if isinstance(e, ToolResult | ToolError) and e.call_id in self.executing
        ]
        self.executing.difference_update(done)
        return done

    async def _flush_loop(self) -> None:
        try:
            while True:
                await self._wakeup.wait()
                if not self._closing:
                    await asyncio.sleep(self.window)
                self._wakeup.clear()
                if self._pending and not self._closing:
                    await self._flush()
                if self._closing:
                    return
        except Exception as exc:  # reported to the run through add()
            logger.exception("storing events of run %s failed", self.run_id)
            self.failure = exc
        finally:
            self._drained.set()

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        persisted: list[PersistedEvent] = [e for e in batch if not isinstance(e, Delta)]
        envelopes = (
            await with_retries(
                write_batch,
                self.session_id,
                self.run_id,
                persisted,
                self._executed(persisted),
            )
            if persisted
            else []
        )
        self._drained.set()
        await publish_frames(self.session_id, interleave(self.run_id, batch, envelopes))
