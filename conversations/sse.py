"""Server-Sent Events (docs/protocol.md): a session's stream, and `POST /chat`.

Both are async views that join the session's layer group, replay what is stored
after the client's cursor, and then stream live through a `SeqCursor`, so SSE
clients get the same in-order, once-each guarantee as WebSocket ones. Django
cancels the generator when the client goes away; `finally` leaves the group.
Authentication, input rules and the message rate limit are the REST API's own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from conversations.agent_factory import agent_names, default_agent
from conversations.api.auth import Refused, authenticated_user
from conversations.api.serializers import SessionCreateSerializer
from conversations.budgets import OverBudget
from conversations.delivery import follow
from conversations.engine.admission import ApprovalPending, RunInProgress
from conversations.engine.service import submit_message
from conversations.engine.storage import SessionGone
from conversations.inputs import BadInput, decode_json, parse_seq, text_problem
from conversations.models import ChatSession
from conversations.ratelimit import message_limit, rate_limited_message, retry_after


def sse_frame(frame: dict) -> str:
    """A wire frame in SSE framing; stored events carry their seq as the event id."""
    lines = [] if frame["seq"] is None else [f"id: {frame['seq']}"]
    lines.append(f"event: {frame['type']}")
    lines.append(f"data: {frame['json']}")
    return "\n".join(lines) + "\n\n"


async def watch(session_id: Any, after: int, run_id: Any = None) -> AsyncIterator[str]:
    """The session's frames in SSE framing, with keep-alive comments when idle."""
    async for frame in follow(
        session_id, after, run_id, idle_after=settings.SSE_HEARTBEAT_SECONDS
    ):
        yield ": keep-alive\n\n" if frame is None else sse_frame(frame)


def event_stream_response(
    stream: AsyncIterator[str], **headers: str
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    for name, value in headers.items():
        response[name] = value
    return response


def error(
    status: int, detail: Any, code: str | None = None, **headers: str
) -> JsonResponse:
    body = {"detail": detail} if code is None else {"detail": detail, "code": code}
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def over_budget(refused: OverBudget) -> JsonResponse:
    """429 until the budget's period turns, naming the budget."""
    return error(
        429,
        refused.message,
        refused.code,
        **{"Retry-After": str(refused.retry_after)},
    )


@database_sync_to_async
def owned_session(user, session_id: Any) -> ChatSession | None:
    try:
        key = uuid.UUID(str(session_id))
    except ValueError:
        return None
    return ChatSession.objects.owned_by(user).filter(pk=key).first()


def stream_cursor(request: HttpRequest) -> int:
    """`Last-Event-ID` (a reconnecting EventSource), else `?after=`, else 0."""
    if "Last-Event-ID" in request.headers:
        return parse_seq(request.headers["Last-Event-ID"], "Last-Event-ID")
    return parse_seq(request.GET.get("after", "0"))


async def callers_session(request: HttpRequest, session_id: Any) -> ChatSession:
    """The caller's session of that id to stream, else `Refused`: 401 or 403
    for a caller not let in, 404 for a session that is not theirs."""
    user = await database_sync_to_async(authenticated_user)(request)
    session = await owned_session(user, session_id)
    if session is None:
        raise Refused(404, "Not found.")
    return session


@require_GET
async def session_stream(request: HttpRequest, session_id: str) -> HttpResponse:
    """`GET /api/sessions/<id>/stream/`: replay after the cursor, then live."""
    try:
        session = await callers_session(request, session_id)
    except Refused as refused:
        return error(refused.status, refused.detail)
    try:
        after = stream_cursor(request)
    except BadInput as exc:
        return error(400, str(exc))
    return event_stream_response(watch(session.id, after))


def parse_chat_body(body: bytes) -> tuple[str, str | None, str | None]:
    """The message, the optional session to continue and the optional agent of
    a new session, or `BadInput` saying what is wrong."""
    payload = decode_json(body or b"null")
    if not isinstance(payload, dict):
        raise BadInput('The body must be a JSON object: {"message": "..."}.')
    message = payload.get("message")
    if problem := text_problem(message, "message"):
        raise BadInput(problem)
    session_id, agent = payload.get("session_id"), payload.get("agent")
    if session_id is not None and not isinstance(session_id, str):
        raise BadInput("'session_id' must be a string.")
    if agent is not None:
        agent = known_agent(agent)
    return message, session_id, agent


def known_agent(agent: Any) -> str:
    """The agent a new session is to run, as the REST API's session-create
    serializer validates it (one rule for both ways in), or `BadInput`."""
    serializer = SessionCreateSerializer(data={"agent": agent})
    if not serializer.is_valid():
        reasons = " ".join(str(reason) for reason in serializer.errors["agent"])
        names = ", ".join(agent_names())
        raise BadInput(f"{reasons} 'agent' must be one of: {names}.")
    return serializer.validated_data["agent"]


@database_sync_to_async
def create_session(user, agent: str) -> ChatSession:
    return ChatSession.objects.create(owner=user, agent=agent)


@csrf_exempt  # DRF's session authentication checks CSRF for cookie callers
@require_POST
async def chat(request: HttpRequest) -> HttpResponse:
    """`POST /chat`, the article's endpoint: start a run and stream it to its end."""
    try:
        user = await database_sync_to_async(authenticated_user)(request)
        message, session_id, agent = parse_chat_body(request.body)
    except Refused as refused:
        return error(refused.status, refused.detail)
    except BadInput as exc:
        return error(400, str(exc))
    session = None
    if session_id is not None:
        session = await owned_session(user, session_id)
        if session is None:
            return error(404, "Not found.")
        if agent is not None and agent != session.agent:
            return error(400, f"The session's agent is {session.agent!r}.")
    wait = await message_limit().ahit(user.pk)
    if wait is not None:
        return error(
            429, rate_limited_message(wait), **{"Retry-After": retry_after(wait)}
        )
    created = session is None
    if created:
        session = await create_session(user, agent or default_agent())
    try:
        admission = await submit_message(session.id, session.agent, message)
    except ApprovalPending:
        return error(409, "A tool call in this session waits for approval.")
    except RunInProgress:
        return error(409, "A run is already active in this session.")
    except SessionGone:
        return error(404, "Not found.")
    except OverBudget as refused:
        if created:
            await session.adelete()
        return over_budget(refused)
    except BaseException:
        if created:  # nothing of a failed request stays behind
            await session.adelete()
        raise
    stream = watch(session.id, admission.seq - 1, run_id=admission.run_id)
    return event_stream_response(stream, **{"X-Session-Id": str(session.id)})
