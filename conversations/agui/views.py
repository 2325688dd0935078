"""`POST /api/agui/` and `GET /api/agui/<threadId>/stream/` (PROTOCOL.md section 7).

Both stream one run as AG-UI events over SSE, fed by the same `follow` as our
own SSE stream, so they keep its guarantee: every stored event once, in order,
whether it was stored before the stream opened or after. A run that stops to
wait for approvals stores no event that says so; while approvals are
outstanding the stream asks the database, backing off, until the run waits,
and then ends it with the `interrupt` outcome. Authentication, the message rate
limit and input rules are the REST API's own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ag_ui.core import MessagesSnapshotEvent
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from conversations.agent_factory import default_agent
from conversations.agui import history
from conversations.agui.inputs import AguiRequest, parse_run_input
from conversations.agui.translate import RunTranslator, sse
from conversations.api.auth import Refused, authenticated_user
from conversations.budgets import OverBudget
from conversations.delivery import follow
from conversations.engine import approvals
from conversations.engine.admission import ApprovalPending, RunInProgress
from conversations.engine.forks import session_state_at
from conversations.engine.service import resolve_approvals, submit_message
from conversations.engine.storage import SessionGone
from conversations.engine.threads import in_db_thread
from conversations.inputs import BadInput, parse_seq
from conversations.models import ChatSession, Run
from conversations.ratelimit import message_limit, rate_limited_message, retry_after
from conversations.sse import callers_session, error, event_stream_response

# Seconds between checks of whether a run with approvals outstanding now waits.
FIRST_WAIT_CHECK = 0.02
LAST_WAIT_CHECK = 0.5


class Stop(Exception):
    """A refusal before anything streams: its status and reason."""

    def __init__(
        self, status: int, detail: str, code: str | None = None, **headers: str
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers
        self.code = code


@csrf_exempt  # DRF's session authentication checks CSRF for cookie callers
@require_POST
async def run_agent(request: HttpRequest) -> HttpResponse:
    """Run a message (or resume a waiting run) and stream the run to its end
    or to its next interrupt."""
    try:
        user = await database_sync_to_async(authenticated_user)(request)
        agui = parse_run_input(request.body)
        session, created = await thread_for(user, agui)
        if agui.answers:
            stream = await resumed_by_answers(session, user, agui)
        else:
            stream = await started_by_message(session, created, user, agui)
    except Refused as refused:
        return error(refused.status, refused.detail)
    except RequestDataTooBig:
        return error(413, "The RunAgentInput is too large.")
    except BadInput as exc:
        return error(400, str(exc))
    except Stop as stop:
        return error(stop.status, stop.detail, stop.code, **stop.headers)
    return agui_response(stream, session.id)


@require_GET
async def run_stream(request: HttpRequest, thread_id: str) -> HttpResponse:
    """Join the thread's run: after `Last-Event-ID` (or `?after=`) to continue a
    stream that was cut, or from now. 204 when there is no run to follow."""
    try:
        session = await callers_session(request, thread_id)
    except Refused as refused:
        return error(refused.status, refused.detail)
    try:
        after = resume_cursor(request, session.last_seq)
    except BadInput as exc:
        return error(400, str(exc))
    opened = await in_db_thread(open_resumed, session, after)
    if opened is None:
        return HttpResponse(status=204)
    return agui_response(opened, session.id)


def agui_response(stream: AsyncIterator[str], session_id: Any) -> StreamingHttpResponse:
    return event_stream_response(stream, **{"X-Session-Id": str(session_id)})


def resume_cursor(request: HttpRequest, last_seq: int) -> int:
    """The seq a stream continues after: `Last-Event-ID` (a seq, or a delta's
    `<seq>.<n>`), else `?after=`, else the thread's newest event."""
    if "Last-Event-ID" in request.headers:
        raw = request.headers["Last-Event-ID"].partition(".")[0]
        after = parse_seq(raw, "Last-Event-ID")
    elif "after" in request.GET:
        after = parse_seq(request.GET["after"])
    else:
        return last_seq
    if after > last_seq:
        raise BadInput(f"The thread has no event {after}: its last is {last_seq}.")
    return after


async def thread_for(user: Any, agui: AguiRequest) -> tuple[ChatSession, bool]:
    """The caller's session of that id, created when new (for a message);
    another user's is not found."""
    session = await ChatSession.objects.filter(pk=agui.thread_id).afirst()
    if session is not None:
        if session.owner_id != user.pk:
            raise Stop(404, "Not found.")
        if agui.agent is not None and agui.agent != session.agent:
            raise Stop(400, f"The thread's agent is {session.agent!r}.")
        return session, False
    if agui.answers:
        raise Stop(404, "Not found.")
    wait = await message_limit().ahit(user.pk)
    if wait is not None:
        raise Stop(
            429, rate_limited_message(wait), **{"Retry-After": retry_after(wait)}
        )
    try:
        session = await ChatSession.objects.acreate(
            pk=agui.thread_id, owner=user, agent=agui.agent or default_agent()
        )
    except IntegrityError:  # created a moment ago by a request racing this one
        return await thread_for(user, agui)
    return session, True


async def started_by_message(
    session: ChatSession, created: bool, user: Any, agui: AguiRequest
) -> AsyncIterator[str]:
    if not created:
        wait = await message_limit().ahit(user.pk)
        if wait is not None:
            raise Stop(
                429, rate_limited_message(wait), **{"Retry-After": retry_after(wait)}
            )
    try:
        admission = await submit_message(
            session.id, session.agent, agui.text, agui.client_id
        )
    except ApprovalPending:
        raise Stop(
            409,
            "A tool call in this thread waits for approval: answer its interrupt"
            " with 'resume'.",
        ) from None
    except RunInProgress:
        raise Stop(409, "A run is already active in this thread.") from None
    except SessionGone:
        raise Stop(404, "Not found.") from None
    except OverBudget as refused:
        if created:
            await session.adelete()
        raise Stop(
            429,
            refused.message,
            code=refused.code,
            **{"Retry-After": str(refused.retry_after)},
        ) from None
    except BaseException:
        if created:  # nothing of a failed request stays behind
            await session.adelete()
        raise
    cursor = admission.seq - 1
    state = {} if created else await in_db_thread(session_state_at, session.id, cursor)
    translator = RunTranslator(
        str(session.id), str(admission.run_id), admission.seq, joined=False, state=state
    )
    return agui_events(session.id, cursor, translator, translator.opening(cursor))


async def resumed_by_answers(
    session: ChatSession, user: Any, agui: AguiRequest
) -> AsyncIterator[str]:
    try:
        outcomes = await resolve_approvals(session.id, user, agui.answers)
    except approvals.ApprovalNotFound as exc:
        raise Stop(400, f"No interrupt {exc} in this thread.") from None
    except approvals.AlreadyResolved as exc:
        raise Stop(409, f"Interrupt {exc} is not pending: it was decided.") from None
    except approvals.ApprovalForbidden as exc:
        raise Stop(403, f"Interrupt {exc} is decided by staff.") from None
    except (approvals.BadArguments, approvals.RememberRefused) as exc:
        raise Stop(400, str(exc)) from None
    run_id = outcomes[0].approval.run_id
    first_seq = await Run.objects.values_list("first_seq", flat=True).aget(pk=run_id)
    cursor = min(e["seq"] for o in outcomes for e in o.envelopes) - 1
    state = await in_db_thread(session_state_at, session.id, cursor)
    # Approvals of the run that this resume left undecided end it again at once.
    pending = await in_db_thread(history.pending_approvals, run_id)
    translator = RunTranslator(
        str(session.id),
        str(run_id),
        first_seq,
        joined=False,
        state=state,
        pending={a["approval"]: a for a in pending},
    )
    return agui_events(session.id, cursor, translator, translator.opening(cursor))


def open_resumed(session: ChatSession, after: int) -> AsyncIterator[str] | None:
    """A stream that joins part way: the run after `after`, opened with the
    thread's messages and state as of `after` rather than restated deltas."""
    followed = history.run_to_follow(session.id, after)
    if followed is None:
        return None
    thread = history.thread_at(session.id, after)
    pending = history.pending_approvals(followed.run_id)
    translator = RunTranslator(
        str(session.id),
        str(followed.run_id),
        # What is stored after `after` is new to this client, even the run's
        # opening message: the snapshot, which replaces its messages, lacks it.
        None,
        joined=True,
        state=thread.state,
        pending={a["approval"]: a for a in pending},
    )
    started, state = translator.opening(after)
    messages = sse(str(after), MessagesSnapshotEvent(messages=thread.messages))
    return agui_events(session.id, after, translator, [started, messages, state])


async def agui_events(
    session_id: Any, after: int, translator: RunTranslator, opening: list[str]
) -> AsyncIterator[str]:
    """The opening frames, then the run's frames after `after` as AG-UI
    events, until it finishes or waits for approvals.

    Frames are read straight from `follow` in this task, so a burst of them
    reaches the socket in one write; only while approvals are outstanding is
    the next frame awaited in a task of its own, beside the checks."""
    yield "".join(opening)
    source = follow(
        session_id,
        after,
        translator.run_id,
        idle_after=settings.SSE_HEARTBEAT_SECONDS,
    ).__aiter__()
    waiting_for: asyncio.Future | None = None  # the next frame, while checking
    check_after = FIRST_WAIT_CHECK
    try:
        while not translator.finished:
            if translator.pending:
                waiting = await in_db_thread(
                    history.waiting_approvals, translator.run_id, translator.streamed
                )
                if waiting:
                    yield "".join(translator.interrupt(waiting))
                    return
                waiting_for = waiting_for or asyncio.ensure_future(anext(source))
                done, _ = await asyncio.wait({waiting_for}, timeout=check_after)
                if not done:
                    check_after = min(check_after * 2, LAST_WAIT_CHECK)
                    continue
                next_frame, waiting_for = waiting_for, None
                check_after = FIRST_WAIT_CHECK
            else:
                next_frame = anext(source)
            try:
                frame = await next_frame
            except StopAsyncIteration:  # the session was deleted
                yield "".join(translator.gone())
                return
            text = (
                ": keep-alive\n\n" if frame is None else "".join(translator.feed(frame))
            )
            if text:  # a frame may have nothing to say (`run_started`, a skipped delta)
                yield text
    finally:
        if waiting_for is not None:
            waiting_for.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await waiting_for
        await source.aclose()
