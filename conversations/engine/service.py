"""The run engine's entry points, shared by the WebSocket consumer, the SSE views,
the REST API, the admin and the `chat` command: submit a message, cancel, decide
an approval, fork (edit, regenerate), delete a session, recover (and expire
approvals)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents.base import Policy
from conversations.agent_factory import policy_for, steering_for
from conversations.engine import approvals
from conversations.engine.admission import (
    Admission,
    SteeringRefused,
    admit_message,
    promote_next_queued,
)
from conversations.engine.forks import Retry, fork_session
from conversations.engine.process import EngineProcess
from conversations.engine.runner import RunDriver
from conversations.engine.storage import (
    RunSpec,
    delete_session_rows,
    interrupt_run,
    load_spec,
    request_cancel,
)
from conversations.engine.threads import in_db_thread
from conversations.layer import (
    publish_cancel,
    publish_frames,
    publish_new_version,
    publish_session_deleted,
)
from conversations.models import Approval, ChatSession, Run

logger = logging.getLogger(__name__)


async def submit_message(
    session_id: Any,
    agent: str,
    text: str,
    client_id: str | None = None,
    steer: bool = False,
) -> Admission:
    """Store a user message and start (or queue) its run under the agent's
    policy, or with `steer` hand it to the working run where the agent takes
    steering messages.

    Raises `RunInProgress` when the policy is `reject` and a run is active,
    `SteeringRefused` for `steer` to an agent that takes none.
    """
    engine = start_engine()
    policy = policy_for(agent)
    if steer:
        if not steering_for(agent):
            raise SteeringRefused(agent)
        policy = Policy.STEER
    admission = await in_db_thread(
        admit_message,
        session_id,
        text,
        client_id,
        policy,
        settings.RUN_STALE_SECONDS,
    )
    if admission.duplicate:
        return admission
    # Other watchers hear of the message in the background: the caller's answer
    # (a socket's ack) must not wait for a layer round trip.
    engine.spawn(publish_frames(session_id, [admission.envelope]))
    if admission.interrupted_run_id is not None:
        await cancel_run(admission.interrupted_run_id)
    if admission.spec is not None:
        launch(admission.spec)
    if admission.promoted_run_id is not None:
        await launch_queued(admission.promoted_run_id)
    return admission


async def fork(session_id: Any, at: int, title: str | None = None) -> ChatSession:
    """Fork a session at a run boundary and tell the owner's other tabs.
    Raises `ForkRefused` (nothing is created then)."""
    made = await in_db_thread(fork_session, session_id, at, title)
    await publish_new_version(made.owner_id, made.family_root, made.pk)
    return made


async def retry_in_fork(
    session_id: Any, retry: Retry, client_id: str | None = None
) -> tuple[Any, Admission]:
    """A new version of a turn: fork the session just before the run it
    replaces and send the message there; return the fork's id and admission."""
    made = await fork(session_id, retry.at)
    return made.pk, await submit_message(made.pk, made.agent, retry.text, client_id)


def launch(spec: RunSpec) -> asyncio.Task:
    """Drive an admitted run in this process, in the background."""
    return EngineProcess.current().launch(spec.run_id, _drive(spec))


async def launch_queued(run_id: Any) -> asyncio.Task:
    """Drive a run promoted from the queue (admitted earlier, maybe elsewhere)."""
    return launch(await in_db_thread(load_spec, run_id))


async def _drive(spec: RunSpec) -> None:
    follow = await RunDriver(spec).drive()
    if follow is not None:  # decided before it could wait: on it goes
        launch(follow)
    elif policy_for(spec.agent) != Policy.REJECT or steering_for(spec.agent):
        # (A message sent to steer may have arrived as the run answered.)
        await start_next_queued(spec.session_id)


async def start_next_queued(session_id: Any) -> None:
    """Start the session's next queued run, if any, in this process."""
    run_id = await in_db_thread(promote_next_queued, session_id)
    if run_id is not None:
        await launch_queued(run_id)


async def wait_for_run(run_id: Any) -> None:
    """Wait until a run driven by this process has finished (no-op otherwise)."""
    task = EngineProcess.current().tasks.get(str(run_id))
    if task is not None:
        await asyncio.shield(task)


async def cancel_run(run_id: Any) -> None:
    """Cancel a run wherever it is driven: directly here, through the layer
    elsewhere (and the database flag, which its heartbeat reads, as a fallback)."""
    if EngineProcess.current().cancel_here(run_id):
        return
    try:
        await publish_cancel(run_id)
    except Exception:
        logger.warning("cancel of run %s not published; heartbeat will see it", run_id)


async def cancel_active_run(session_id: Any, by: str) -> Any | None:
    """Cancel the session's active run, if any, on behalf of `by` (a username);
    return its id. A run waiting for approvals is ended at once (no process
    holds it); a working one is stopped wherever it is driven."""
    cancelled = await in_db_thread(request_cancel, session_id, by)
    if cancelled is None:
        return None
    run_id, envelopes = cancelled
    if envelopes:
        await publish_frames(session_id, envelopes)
    else:
        await cancel_run(run_id)
    return run_id


async def resolve_approval(
    approval_id: Any,
    user: Any,
    approve: bool,
    args: dict | None = None,
    reason: str = "",
    remember: str | None = None,
) -> Approval:
    """Store a person's decision on an approval and tell every watcher; the
    run goes on here when this was the last decision it waited for. Raises
    the errors of `approvals.decide`."""
    start_engine()
    outcome = await in_db_thread(
        approvals.decide, approval_id, user, approve, args, reason, remember
    )
    await _after_decision(outcome)
    return outcome.approval


async def resolve_approvals(
    session_id: Any, user: Any, answers: list[approvals.Answer]
) -> list[approvals.Outcome]:
    """Store several decisions on one session's approvals, all or none, tell
    every watcher, and drive the run on once nothing is left pending."""
    start_engine()
    outcomes = await in_db_thread(approvals.decide_together, session_id, user, answers)
    for outcome in outcomes:
        await _after_decision(outcome)
    return outcomes


async def _after_decision(outcome: approvals.Outcome) -> None:
    await publish_frames(outcome.approval.session_id, outcome.envelopes)
    if outcome.resume is not None:
        launch(outcome.resume)


def _expire_due_sync() -> list[approvals.Outcome]:
    """Expire every approval whose time is up; one that fails is logged and
    left to the next sweep."""
    outcomes = []
    for approval in approvals.due_for_expiry():
        try:
            outcomes.append(approvals.expire(approval))
        except approvals.AlreadyResolved:
            continue  # decided at the last moment
        except Exception:
            logger.exception("expiring approval %s failed; retried", approval.pk)
    return outcomes


async def expire_due_approvals() -> int:
    """Expire due approvals and drive on the runs that no longer wait."""
    outcomes = await in_db_thread(_expire_due_sync)
    for outcome in outcomes:
        await _after_decision(outcome)
    return len(outcomes)


def delete_session(session_id: Any) -> bool:
    """Delete a session with everything in it, even while a run streams: once the
    deletion commits, its runs stop and every socket and stream watching it is
    told. False if it was gone. Blocking, on the caller's connection and
    transaction (a REST request's, the admin's)."""
    deleted, open_runs = delete_session_rows(session_id)
    if deleted:
        transaction.on_commit(
            lambda: async_to_sync(_announce_deletion)(session_id, open_runs)
        )
    return deleted


async def _announce_deletion(session_id: Any, open_runs: list[Any]) -> None:
    for run_id in open_runs:
        await cancel_run(run_id)
    await publish_session_deleted(session_id)


def recover_stale_runs_sync(stale_after: float) -> list[tuple[Any, list[dict]]]:
    """Finish as `interrupted` every run whose process stopped beating. One run
    that cannot be finished is logged and skipped: it must not keep the sweep
    from recovering everyone else's."""
    recovered = []
    for run in Run.objects.stale(timezone.now(), stale_after):
        try:
            frames = interrupt_run(run.id, "the process running it stopped")
        except Exception:
            logger.exception("recovering run %s failed; the next sweep retries", run.id)
            continue
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
    them (or behind any run whose finisher died before promoting the queue);
    then expire the approvals whose time is up."""
    recovered = await in_db_thread(recover_stale_runs_sync, settings.RUN_STALE_SECONDS)
    for session_id, frames in recovered:
        await publish_frames(session_id, frames)
    for session_id in await in_db_thread(stalled_queues_sync):
        try:
            await start_next_queued(session_id)
        except Exception:
            logger.exception("starting the queue of session %s failed", session_id)
    await expire_due_approvals()
    return len(recovered)


def start_engine() -> EngineProcess:
    """This process's engine, with its recovery sweep running."""
    engine = EngineProcess.current()
    engine.start_sweeper(recover_stale_runs)
    return engine
