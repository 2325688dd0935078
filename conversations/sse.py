"""Server-Sent Events (PROTOCOL.md section 3): a session's stream, and `POST /chat`.

Both are async views that join the session's layer group, replay what is stored
after the client's cursor, and then stream live through a `SeqCursor`, so SSE
clients get the same in-order, once-each guarantee as WebSocket ones. Django
cancels the generator when the client goes away; `finally` leaves the group.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from conversations.agent_factory import default_agent
from conversations.delivery import follow
from conversations.engine.service import submit_message
from conversations.engine.storage import RunInProgress, SessionGone
from conversations.limits import text_problem
from conversations.models import ChatSession
from conversations.ws_auth import user_for_token


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


def error(status: int, detail: Any) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


async def authenticate(request: HttpRequest) -> tuple[Any, bool]:
    """The caller by session cookie or `Authorization: Token`, and whether the
    cookie was used (then CSRF applies to unsafe methods)."""
    user = await request.auser()
    if user.is_authenticated:
        return user, True
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and key.strip():
        return await user_for_token(key.strip()), False
    return user, False


@database_sync_to_async
def owned_session(user, session_id: str) -> ChatSession | None:
    try:
        key = uuid.UUID(str(session_id))
    except ValueError:
        return None
    return ChatSession.objects.owned_by(user).filter(pk=key).first()


def parse_cursor(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    return int(raw) if raw.isdigit() else None


@require_GET
async def session_stream(request: HttpRequest, session_id: str) -> HttpResponse:
    """`GET /api/sessions/<id>/stream/`: replay after the cursor, then live."""
    user, _ = await authenticate(request)
    if not user.is_authenticated:
        return error(401, "Authentication credentials were not provided.")
    session = await owned_session(user, session_id)
    if session is None:
        return error(404, "Not found.")
    after = parse_cursor(request)
    if after is None:
        return error(400, "Last-Event-ID / after must be a non-negative integer.")
    return event_stream_response(watch(session.id, after))


def parse_chat_body(body: bytes) -> tuple[str, str | None]:
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        raise ValueError("The body must be JSON.") from None
    if not isinstance(payload, dict):
        raise ValueError('The body must be a JSON object: {"message": "..."}.')
    message = payload.get("message")
    if problem := text_problem(message, "message"):
        raise ValueError(problem)
    session_id = payload.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise ValueError("'session_id' must be a string.")
    return message, session_id


@database_sync_to_async
def create_session(user, agent: str) -> ChatSession:
    return ChatSession.objects.create(owner=user, agent=agent)


@csrf_exempt  # enforced below for cookie-authenticated callers only
@require_POST
async def chat(request: HttpRequest) -> HttpResponse:
    """`POST /chat`, the article's endpoint: start a run and stream it to its end."""
    user, by_cookie = await authenticate(request)
    if not user.is_authenticated:
        return error(401, "Authentication credentials were not provided.")
    if by_cookie:
        refusal = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refusal is not None:
            return error(403, "CSRF check failed.")
    try:
        message, session_id = parse_chat_body(request.body)
    except ValueError as exc:
        return error(400, str(exc))
    if session_id is None:
        session = await create_session(user, default_agent())
    else:
        session = await owned_session(user, session_id)
        if session is None:
            return error(404, "Not found.")
    try:
        admission = await submit_message(session.id, session.agent, message)
    except RunInProgress:
        return error(409, "A run is already active in this session.")
    except SessionGone:
        return error(404, "Not found.")
    stream = watch(session.id, admission.seq - 1, run_id=admission.run_id)
    return event_stream_response(stream, **{"X-Session-Id": str(session.id)})
