"""Driving one run: the agent's generator, the recorder, the time limit and cancel.

A run belongs to the session, not to whoever asked for it: it is an asyncio task
of the process that admitted it and keeps going when that socket or request goes
away. Whatever happens — success, an agent exception, a model error, a cancel, the
time limit — it ends with exactly one `run_finished`, stored together with the
run's final status. A process that dies mid-run leaves the run to recovery.

A run whose gated calls wait for decisions is not finished but suspended: its
events are stored, it is marked `awaiting_approval`, and the driver lets go.
The decision that leaves nothing pending has the run driven again, with its
stored events, in whichever process stored it; before an approved call runs,
the driver records its start durably, so it can run at most once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from django.conf import settings

from agents.context import Usage
from agents.events import (
    ApprovalRequested,
    AwaitingApproval,
    Error,
    Event,
    GatedCallStarting,
    RunFinished,
    RunStatus,
)
from agents.transcript import PartialAnswer, closing_events
from conversations.agent_factory import build_agent, run_context
from conversations.engine.admission import take_steers
from conversations.engine.allowance import BudgetAllowance
from conversations.engine.approvals import granted
from conversations.engine.process import EngineProcess
from conversations.engine.recorder import EventRecorder, with_retries
from conversations.engine.storage import (
    RunSpec,
    SessionGone,
    load_progress,
    load_spec,
    start_execution,
)
from conversations.engine.threads import in_db_thread

logger = logging.getLogger(__name__)


class SteerInbox:
    """The run's steering messages, read from the database at each step (they
    may have been admitted by any instance)."""

    def __init__(self, run_id, after_seq: int) -> None:
        self.run_id = run_id
        self.after_seq = after_seq

    async def take(self, closing: bool) -> list[str]:
        steers = await in_db_thread(take_steers, self.run_id, self.after_seq, closing)
        if steers:
            self.after_seq = steers[-1][0]
        return [text for _, text in steers]


class RunDriver:
    """Drives one admitted run to its `run_finished`."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec
        self.recorder = EventRecorder(spec.session_id, spec.run_id)
        self.tokens = Usage(*spec.usage)  # counted as it goes, kept on a cancel
        self.answer = PartialAnswer()  # kept for a cancelled run's partial final
        self._consumer: asyncio.Task | None = None
        self._cancelled = False
        self._started = time.monotonic()
        self.last_error = ""
        self.agent_finished: RunFinished | None = None  # the agent's own last event

    def cancel(self) -> None:
        """Stop the agent; the run ends `cancelled`, keeping any partial answer."""
        self._cancelled = True
        if self._consumer is not None:
            self._consumer.cancel()

    async def drive(self) -> RunSpec | None:
        """Drive the run until it finishes or waits; return it to drive on at
        once when every approval it asked for was decided before it could wait."""
        engine = EngineProcess.current()
        engine.attach(self.spec.run_id, self)
        try:
            status, error = await self._consume_agent()
            if status == RunStatus.AWAITING_APPROVAL:
                match await self.recorder.suspend(self.tokens.as_dict()):
                    case "waiting":
                        return None
                    case "decided":
                        return await in_db_thread(load_spec, self.spec.run_id, True)
                status = RunStatus.CANCELLED  # a cancel came first
            await self._finish(status, error)
        except SessionGone:  # deleted mid-run: nothing left to write to
            logger.info("session of run %s was deleted; it stops", self.spec.run_id)
        finally:
            engine.detach(self.spec.run_id)
        return None

    async def _consume_agent(self) -> tuple[RunStatus, str]:
        self._consumer = asyncio.create_task(self._pump())
        try:
            async with asyncio.timeout(settings.RUN_TIME_LIMIT_SECONDS):
                return await asyncio.shield(self._consumer)
        except TimeoutError:
            self._consumer.cancel()
            await self._settle()
            await self.recorder.add(
                Error("time_limit", "The run took too long and was stopped.")
            )
            return RunStatus.FAILED, "time limit reached"
        except asyncio.CancelledError:
            if not self._cancelled:
                raise  # the process is shutting down: recovery finishes the run
            await self._settle()
            return RunStatus.CANCELLED, ""

    async def _settle(self) -> None:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._consumer

    async def _pump(self) -> tuple[RunStatus, str]:
        """Feed the agent's events to the recorder; return the final status."""
        status, error = RunStatus.FAILED, "the agent stopped without finishing"
        try:
            async with EngineProcess.current().slots:
                agent = await build_agent(self.spec)
                context = run_context(self.spec)
                progress, seen = [], self.spec.first_seq
                if self.spec.resuming:  # steers up to `seen` are in its events
                    progress, seen = await in_db_thread(
                        load_progress, self.spec.run_id, self.spec.first_seq
                    )
                inbox = SteerInbox(self.spec.run_id, seen)
                allowance = BudgetAllowance(self.spec.user_id, self.spec.agent)
                async for event in agent.run(
                    self.spec.message, context, self.tokens, progress, inbox, allowance
                ):
                    finished = await self.take(event)
                    if finished is not None:
                        status, error = finished
        except (asyncio.CancelledError, SessionGone):
            raise
        except Exception as exc:  # building, running or storing failed: report it
            logger.exception(
                "agent %s crashed in run %s", self.spec.agent, self.spec.run_id
            )
            if self.recorder.failure is None:
                await self.recorder.add(
                    Error("agent_crashed", str(exc) or type(exc).__name__)
                )
            elif isinstance(self.recorder.failure, SessionGone):
                raise self.recorder.failure from None
            return RunStatus.FAILED, str(exc) or type(exc).__name__
        return status, error

    async def take(self, event: Event) -> tuple[RunStatus, str] | None:
        """Record one event; return (status, error) when it is the agent's last."""
        self.answer.feed(event)
        match event:
            case RunFinished(status=status):
                self.agent_finished = event
                return status, self.last_error
            case AwaitingApproval():
                return RunStatus.AWAITING_APPROVAL, ""
            case ApprovalRequested():
                # Remembered consent decides at once, in the same batch; the
                # run then goes on as if a person had approved it.
                await self.recorder.add(event)
                spec = self.spec
                decision = await in_db_thread(
                    granted, event, spec.user_id, spec.agent, spec.session_id
                )
                if decision is not None:
                    await self.recorder.add(decision)
                return None
            case GatedCallStarting(call_id=call_id):
                # Durable before the side effect; the agent waits at its yield.
                await with_retries(start_execution, self.spec.run_id, call_id)
                self.recorder.executing.add(call_id)
                return None
            case Error(message=message):
                self.last_error = message
        await self.recorder.add(event)
        return None

    async def _finish(self, status: RunStatus, error: str) -> None:
        """Store the run's closing events: the agent's own `run_finished` when it
        finished by itself, else the same closing the agent loop would build."""
        finished = self.agent_finished
        if finished is None or finished.status != status:
            duration = round((time.monotonic() - self._started) * 1000, 3)
            *partial, finished = closing_events(
                self.answer, status, duration, self.tokens.as_dict()
            )
            for event in partial:
                await self.recorder.add(event)
        await self.recorder.close(finished, error)
