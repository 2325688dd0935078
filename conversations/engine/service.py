"""The run engine's entry points, shared by the WebSocket consumer, the SSE view,
the REST API and the `chat` command: submit a message, cancel, recover."""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from django.conf import settings
from django.utils import timezone

from conversations.agent_factory import policy_for
from conversations.engine.runner import RunDriver
from conversations.engine.storage import (
    Admission,
    RunSpec,
    admit_message,
    in_db_thread,
    interrupt_run,
    load_spec,
    promote_next_queued,
    request_cancel,
)
from conversations.engine.upkeep import active_runs
from conversations.layer import publish_cancel, publish_frames
from conversations.models import Run
from conversations.shutdown import install_graceful_shutdown

logger = logging.getLogger(__name__)

# Strong references to the tasks of this process's runs (asyncio keeps weak ones).
run_tasks: dict[str, asyncio.Task] = {}
background_tasks: set[asyncio.Task] = set()
# One recovery sweep per event loop (tests run many loops in one process).
_sweepers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def submit_message(
    session_id: Any, agent: str, text: str, client_id: str | None = None
) -> Admission:
    """Store a user message and start (or queue) its run under the agent's policy.

    Raises `RunInProgress` when the policy is `reject` and a run is active.
    """
    ensure_sweeper()
    admission = await in_db_thread(
        admit_message,
        session_id,
        text,
        client_id,
        policy_for(agent),
        settings.RUN_STALE_SECONDS,
    )
    if admission.duplicate:
        return admission
    # Other watchers hear of the message in the background: the caller's answer
    # (a socket's ack) must not wait for a layer round trip.
    publish = asyncio.create_task(publish_frames(session_id, [admission.envelope]))
    background_tasks.add(publish)
    publish.add_done_callback(background_tasks.discard)
    if admission.interrupted_run_id is not None:
        await cancel_run(admission.interrupted_run_id)
    if admission.spec is not None:
        await launch(admission.spec)
    if admission.promoted_run_id is not None:
        await launch_queued(admission.promoted_run_id)
    return admission


async def launch(spec: RunSpec) -> asyncio.Task:
    """Drive an admitted run in this process, in the background."""
    task = asyncio.create_task(_drive(spec), name=f"run-{spec.run_id}")
    key = str(spec.run_id)
    run_tasks[key] = task
    task.add_done_callback(lambda _: run_tasks.pop(key, None))
    return task


async def launch_queued(run_id: Any) -> asyncio.Task:
    """Drive a run promoted from the queue (admitted earlier, maybe elsewhere)."""
    return await launch(await in_db_thread(load_spec, run_id))


async def _drive(spec: RunSpec) -> None:
    await RunDriver(spec).drive()
    if policy_for(spec.agent) != "reject":  # no queue to look at otherwise
        await start_next_queued(spec.session_id)


async def start_next_queued(session_id: Any) -> None:
    """Start the session's next queued run, if any, in this process."""
    run_id = await in_db_thread(promote_next_queued, session_id)
    if run_id is not None:
        await launch_queued(run_id)


async def wait_for_run(run_id: Any) -> None:
    """Wait until a run driven by this process has finished (no-op otherwise)."""
    task = run_tasks.get(str(run_id))
    if task is not None:
        await asyncio.shield(task)


async def cancel_run(run_id: Any) -> None:
    """Cancel a run wherever it is driven: directly here, through the layer
    elsewhere (and the database flag, which its heartbeat reads, as a fallback)."""
    driver = active_runs.get(str(run_id))
    if driver is not None:
        driver.cancel()
        return
    try:
        await publish_cancel(run_id)
    except Exception:
        logger.warning("cancel of run %s not published; heartbeat will see it", run_id)


async def cancel_active_run(session_id: Any) -> Any | None:
    """Cancel the session's active run, if any; return its id."""
    run_id = await in_db_thread(request_cancel, session_id)
    if run_id is not None:
        await cancel_run(run_id)
    return run_id


def recover_stale_runs_sync(stale_after: float) -> list[tuple[Any, list[dict]]]:
    """Finish as `interrupted` every run whose process stopped beating."""
    recovered = []
    for run in Run.objects.stale(timezone.now(), stale_after):
        frames = interrupt_run(run.id, "the process running it stopped")
        if frames:
            recovered.append((run.session_id, frames))
    return recovered


def stalled_queues_sync() -> list[Any]:
    """Sessions with queued runs and none running: the process that finished
    their last run died before starting the next."""
    running = Run.objects.active().values("session_id")
    return list(
        Run.objects.queued()
        .exclude(session_id__in=running)
        .values_list("session_id", flat=True)
        .distinct()
    )


async def recover_stale_runs() -> int:
    """Recover stale runs, tell their watchers, and start what was queued behind
    them (or behind any run whose finisher died before promoting the queue)."""
    recovered = await in_db_thread(recover_stale_runs_sync, settings.RUN_STALE_SECONDS)
    for session_id, frames in recovered:
        await publish_frames(session_id, frames)
    for session_id in await in_db_thread(stalled_queues_sync):
        await start_next_queued(session_id)
    return len(recovered)


def ensure_sweeper() -> None:
    """Start this process's periodic recovery sweep on the running loop, once."""
    loop = asyncio.get_running_loop()
    task = _sweepers.get(loop)
    if task is None or task.done():
        _sweepers[loop] = loop.create_task(_sweep_forever(), name="run-recovery")


async def _sweep_forever() -> None:
    while True:
        try:
            await recover_stale_runs()
        except Exception:
            logger.warning("run recovery sweep failed", exc_info=True)
        await asyncio.sleep(settings.RUN_SWEEP_SECONDS)


class ServerLifecycle:
    """ASGI wrapper that sets up process-wide duties with the server's first request:
    the recovery sweep and graceful SIGTERM handling.

    daphne has no lifespan events; the first request (a load balancer's health
    check, typically) comes moments after start-up, so runs a dead process left
    behind are finished without waiting for someone to write in their session.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in {"http", "websocket"}:
            ensure_sweeper()
            install_graceful_shutdown()
        return await self.app(scope, receive, send)
