"""What one server process does for all the runs it drives: the runs themselves,
the slots that bound how many work at once, one heartbeat, one cancel listener,
the recovery sweep, and the connections to MCP tool servers.

Per run, heartbeats and cancel subscriptions cost a database round trip every
period and a layer subscribe and unsubscribe: in a burst of 500 short runs that
was more queries than the runs' own events. Here one `UPDATE` beats for every
run of the process, and one subscription to the control group hears every
cancel. One `EngineProcess` exists per event loop (a server process has one;
the test suite runs many loops in one interpreter).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from agents.mcp import McpPool
from conversations.engine.storage import beat_runs
from conversations.engine.threads import in_db_thread
from conversations.layer import CANCEL, CONTROL_GROUP

logger = logging.getLogger(__name__)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class EngineProcess:
    """The run engine's state in this process, owned by its event loop."""

    _by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.drivers: dict[str, Cancellable] = {}  # runs working here, by id
        self.tasks: dict[
            str, asyncio.Task
        ] = {}  # their tasks (asyncio keeps weak refs)
        # At most RUN_CONCURRENCY runs work at once; the others wait their turn,
        # still `running` to the rest of the system and kept alive by the
        # heartbeat. Unbounded, a burst of 500 runs made every run slow.
        self.slots = asyncio.Semaphore(settings.RUN_CONCURRENCY)
        self._background: set[asyncio.Task] = set()
        self._upkeep: tuple[asyncio.Task, ...] = ()
        self._sweeper: asyncio.Task | None = None
        self.mcp = McpPool()  # one connection per MCP server, shared by the runs

    @classmethod
    def current(cls) -> EngineProcess:
        """The engine of the running event loop, made on first use."""
        loop = asyncio.get_running_loop()
        engine = cls._by_loop.get(loop)
        if engine is None:
            engine = cls._by_loop[loop] = cls()
        return engine

    def spawn(self, coroutine: Coroutine, name: str | None = None) -> asyncio.Task:
        """Run a coroutine in the background, keeping it referenced until done."""
        task = asyncio.create_task(coroutine, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def launch(self, run_id: Any, coroutine: Coroutine) -> asyncio.Task:
        """Drive a run here in the background; its task is known by the run id."""
        key = str(run_id)
        task = asyncio.create_task(coroutine, name=f"run-{key}")
        self.tasks[key] = task
        task.add_done_callback(lambda _: self.tasks.pop(key, None))
        return task

    def attach(self, run_id: Any, driver: Cancellable) -> None:
        """A run starts working here: cancels reach it, the heartbeat keeps it."""
        self.drivers[str(run_id)] = driver
        self._start_upkeep()

    def detach(self, run_id: Any) -> None:
        self.drivers.pop(str(run_id), None)

    def cancel_here(self, run_id: Any) -> bool:
        """Cancel a run if this process drives it; say whether it did."""
        driver = self.drivers.get(str(run_id))
        if driver is not None:
            driver.cancel()
        return driver is not None

    def start_sweeper(self, sweep: Callable[[], Awaitable[Any]]) -> None:
        """Run `sweep` now and every RUN_SWEEP_SECONDS, once per process; a
        failing pass is logged and the next one comes all the same."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(
                self._repeat(sweep, settings.RUN_SWEEP_SECONDS, first_at_once=True),
                name="run-recovery",
            )

    def _start_upkeep(self) -> None:
        """The heartbeat and the cancel listener, started once (synchronously, so
        a burst of runs starting together cannot start several)."""
        if self._upkeep and not any(task.done() for task in self._upkeep):
            return
        self._upkeep = (
            asyncio.create_task(
                self._repeat(self.beat_once, settings.RUN_HEARTBEAT_SECONDS),
                name="run-heartbeat",
            ),
            asyncio.create_task(self._listen_for_cancels(), name="run-control"),
        )

    async def beat_once(self) -> None:
        """Mark every run of this process alive; cancel those flagged in the
        database (the fallback when a cancel could not travel over the layer)."""
        run_ids = list(self.drivers)
        if run_ids:
            for run_id in await in_db_thread(beat_runs, run_ids):
                self.cancel_here(run_id)

    @staticmethod
    async def _repeat(
        job: Callable[[], Awaitable[Any]], period: float, first_at_once: bool = False
    ) -> None:
        if not first_at_once:
            await asyncio.sleep(period)
        while True:
            try:
                await job()
            except Exception:
                logger.warning("%s failed; trying again", job.__name__, exc_info=True)
            await asyncio.sleep(period)

    async def _listen_for_cancels(self) -> None:
        """Hear cancel requests for any run; act on those this process drives. A
        layer failure (Redis down) only delays cancels until the next heartbeat."""
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
            if message.get("type") == CANCEL:
                self.cancel_here(message.get("run"))
