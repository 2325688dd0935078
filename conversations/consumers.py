"""The WebSocket endpoint of a session: `/ws/sessions/<id>/` (PROTOCOL.md section 2).

Who may connect is decided before any group is joined or event sent; refusals
accept the handshake only to close at once with a code a browser can read. After
that the consumer is thin: client frames are validated and handed to the run
engine, and layer news goes out through a `SeqCursor` (in order, once, no gaps).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conversations.delivery import TAIL_CHECK_DELAY, SeqCursor, last_seq
from conversations.engine.service import cancel_active_run, submit_message
from conversations.engine.storage import RunInProgress, SessionGone
from conversations.layer import session_group, wire_frame
from conversations.limits import (
    MAX_CLIENT_ID_LENGTH,
    MAX_FRAME_BYTES,
    MESSAGES_PER_MINUTE,
    text_problem,
)
from conversations.models import ChatSession
from conversations.shutdown import open_sockets

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class BadFrame(Exception):
    """A client frame the protocol cannot accept; its message goes to the client."""


@database_sync_to_async
def find_session(session_id: str) -> ChatSession | None:
    try:
        return ChatSession.objects.filter(pk=uuid.UUID(session_id)).first()
    except ValueError:
        return None


def parse_after(raw: Any) -> int:
    """A resume cursor: a non-negative integer (strings of digits allowed in URLs)."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise BadFrame("'after' must be a non-negative integer")
    try:
        value = int(raw)
    except ValueError:
        raise BadFrame("'after' must be a non-negative integer") from None
    if value < 0:
        raise BadFrame("'after' must be a non-negative integer")
    return value


def parse_message(content: dict) -> tuple[str, str | None]:
    text = content.get("text")
    if problem := text_problem(text, "text"):
        raise BadFrame(problem)
    client_id = content.get("client_id")
    if client_id is not None and (
        not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID_LENGTH
    ):
        raise BadFrame(
            f"'client_id' must be a string of 1-{MAX_CLIENT_ID_LENGTH} characters"
        )
    return text, client_id


class SessionConsumer(AsyncJsonWebsocketConsumer):
    """Streams one session's events to one socket and takes its commands."""

    async def connect(self) -> None:
        self.session: ChatSession | None = None
        self.cursor: SeqCursor | None = None
        self.recent_messages: deque[float] = deque()
        self.sending = asyncio.Lock()  # layer news and tail checks send in turn
        self.tail_check: asyncio.Task | None = None
        user = self.scope.get("user")
        session = await find_session(self.scope["url_route"]["kwargs"]["session_id"])
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if session is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        if session.owner_id != user.pk:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.session = session
        open_sockets.add(self)
        self.group = session_group(session.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        current = await database_sync_to_async(last_seq)(session.id)
        self.cursor = SeqCursor(session.id, current)
        await self.send_json(
            {"type": "hello", "session": str(session.id), "last_seq": current}
        )
        after = self._after_from_query()
        if after is not None:
            await self._resume(after)

    def _after_from_query(self) -> int | None:
        from urllib.parse import parse_qs

        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get(
            "after"
        )
        if not values:
            return None
        try:
            return parse_after(values[0])
        except BadFrame:
            return None

    async def disconnect(self, code: int) -> None:
        open_sockets.discard(self)
        if self.tail_check is not None:
            self.tail_check.cancel()
        if self.session is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ):
        """Parse and dispatch one client frame; bad input gets a `rejected` reply."""
        if self.session is None:
            return
        try:
            content = self._decode(text_data, bytes_data)
            await self._dispatch(content)
        except BadFrame as error:
            await self.reject("bad_request", str(error))

    def _decode(self, text_data: str | None, bytes_data: bytes | None) -> dict:
        if text_data is None:
            raise BadFrame("frames must be JSON text")
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            raise BadFrame(f"frame larger than {MAX_FRAME_BYTES} bytes")
        try:
            content = json.loads(text_data)
        except ValueError:
            raise BadFrame("frame is not valid JSON") from None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            raise BadFrame("frame must be a JSON object with a string 'type'")
        return content

    async def _dispatch(self, content: dict) -> None:
        match content["type"]:
            case "message":
                await self._message(content)
            case "resume":
                await self._resume(parse_after(content.get("after")))
            case "cancel":
                await self._cancel()
            case other:
                raise BadFrame(f"unknown frame type {other[:40]!r}")

    async def _message(self, content: dict) -> None:
        text, client_id = parse_message(content)
        if not self._within_rate_limit():
            await self.reject(
                "rate_limited", f"at most {MESSAGES_PER_MINUTE} messages a minute"
            )
            return
        try:
            admission = await submit_message(
                self.session.id, self.session.agent, text, client_id
            )
        except RunInProgress:
            await self.reject(
                "run_in_progress", "a run is already active in this session"
            )
            return
        except SessionGone:
            await self.reject("not_found", "this session no longer exists")
            return
        await self.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "seq": admission.seq,
                "run": str(admission.run_id),
            }
        )
        if admission.envelope is not None:
            # The sender sees its message at once, not after a layer round trip;
            # the copy the layer brings later is dropped by the cursor.
            await self.send_frames([wire_frame(admission.envelope)])

    def _within_rate_limit(self) -> bool:
        now = time.monotonic()
        while self.recent_messages and now - self.recent_messages[0] > 60:
            self.recent_messages.popleft()
        if len(self.recent_messages) >= MESSAGES_PER_MINUTE:
            return False
        self.recent_messages.append(now)
        return True

    async def _resume(self, after: int) -> None:
        async with self.sending:
            await self._send_text(await self.cursor.replay(after))

    async def _cancel(self) -> None:
        if await cancel_active_run(self.session.id) is None:
            await self.reject("not_found", "no active run to cancel")

    async def reject(self, code: str, message: str) -> None:
        await self.send_json({"type": "rejected", "code": code, "message": message})

    async def session_events(self, message: dict) -> None:
        """Layer news (`session.events`): send on, in order, each event once."""
        await self.send_frames(message["frames"])
        if self.tail_check is not None:
            self.tail_check.cancel()
        self.tail_check = asyncio.create_task(self._check_tail())

    async def send_frames(self, frames: list[dict]) -> None:
        """Send wire frames through the cursor: in order, once, gaps refilled."""
        async with self.sending:
            await self._send_text(await self.cursor.accept(frames))

    async def _send_text(self, frames: list[dict]) -> None:
        for frame in frames:
            await self.send(text_data=frame["json"])  # encoded once, at publish

    async def _check_tail(self) -> None:
        """After news stops: check for a lost tail until nothing is missing."""
        while True:
            await asyncio.sleep(TAIL_CHECK_DELAY)
            async with self.sending:
                await self._send_text(await self.cursor.catch_up())
            if not self.cursor.behind:
                return
