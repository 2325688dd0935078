"""What a process does once for all the runs it drives: one heartbeat, one cancel
listener, and the slots that bound how many of them work at once.

Per run, these cost a database round trip every heartbeat period and a layer
subscribe and unsubscribe: in a burst of 500 short runs that was more queries
than the runs' own events, and the heartbeats of runs waiting for the database
queued behind each other. Here one `UPDATE` beats for every run of the process,
and one subscription to the control group hears every cancel.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from conversations.engine.storage import beat_runs, in_db_thread
from conversations.layer import CANCEL, CONTROL_GROUP

logger = logging.getLogger(__name__)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


# Runs driven by this process, by run id: cancel reaches them without the layer.
active_runs: dict[str, Cancellable] = {}

# One set of duties, and of run slots, per event loop (a process, or a test).
_duties: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def run_slots() -> asyncio.Semaphore:
    """At most RUN_CONCURRENCY runs of this process work at once; the others wait
    their turn, still `running` to the rest of the system and kept alive by the
    heartbeat.

    Unbounded, a burst of 500 runs made every run slow: each batch of events
    waited behind every other run's work on the event loop and the database
    threads, and delivery latency grew to seconds. Bounded, the runs at work
    keep their latency and the rest start as slots free up.
    """
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(settings.RUN_CONCURRENCY)
    return slots


def ensure_upkeep() -> None:
    """Start this loop's heartbeat and cancel listener, once (synchronously, so a
    burst of runs starting together cannot start several)."""
    loop = asyncio.get_running_loop()
    tasks = _duties.get(loop)
    if tasks is not None and not any(task.done() for task in tasks):
        return
    _duties[loop] = (
        loop.create_task(_beat_forever(), name="run-heartbeat"),
        loop.create_task(_listen_for_cancels(), name="run-control"),
    )


async def beat_once() -> None:
    """Mark every run of this process alive; cancel those flagged in the database
    (the fallback when a cancel could not travel over the layer)."""
    run_ids = list(active_runs)
    if not run_ids:
        return
    for run_id in await in_db_thread(beat_runs, run_ids):
        driver = active_runs.get(str(run_id))
        if driver is not None:
            driver.cancel()


async def _beat_forever() -> None:
    while True:
        await asyncio.sleep(settings.RUN_HEARTBEAT_SECONDS)
        try:
            await beat_once()
        except Exception:
            logger.warning("heartbeat of this process's runs failed", exc_info=True)


async def _listen_for_cancels() -> None:
    """Hear cancel requests for any run; act on those this process drives. A layer
    failure (Redis down) only delays cancels until the next heartbeat."""
    layer = get_channel_layer()
    channel: str | None = None
    while True:
        try:
            if channel is None:
                channel = await layer.new_channel()
                await layer.group_add(CONTROL_GROUP, channel)
            message = await layer.receive(channel)
        except Exception:
            logger.warning("run control channel failed; retrying", exc_info=True)
            channel = None
            await asyncio.sleep(1)
            continue
        driver = active_runs.get(str(message.get("run")))
        if message.get("type") == CANCEL and driver is not None:
            driver.cancel()
