"""The WebSocket endpoint of a session: `/ws/sessions/<id>/` (docs/protocol.md).

Who may connect is decided before any group is joined or event sent; refusals
accept the handshake only to close at once with a code a browser can read. After
that the consumer is thin: client frames are checked by the shared input rules
and handed to the run engine, and layer news goes out through a `SeqCursor` (in
order, once, no gaps), a page at a time.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conversations.budgets import OverBudget
from conversations.delivery import TAIL_CHECK_DELAY, SeqCursor, last_seq
from conversations.engine.admission import (
    ApprovalPending,
    RunInProgress,
    SteeringRefused,
)
from conversations.engine.approvals import (
    AlreadyResolved,
    ApprovalForbidden,
    ApprovalNotFound,
    BadArguments,
    RememberRefused,
)
from conversations.engine.service import (
    cancel_active_run,
    resolve_approval,
    submit_message,
)
from conversations.engine.storage import SessionGone
from conversations.inputs import (
    MAX_FRAME_BYTES,
    BadInput,
    client_id_problem,
    decode_json,
    parse_decision,
    parse_seq,
    parse_uuid,
    steer_problem,
    text_problem,
)
from conversations.layer import session_group, user_group, wire_frame
from conversations.models import ChatSession
from conversations.ratelimit import message_limit, rate_limited_message

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


@database_sync_to_async
def find_session(session_id: str) -> ChatSession | None:
    try:
        return ChatSession.objects.filter(pk=uuid.UUID(session_id)).first()
    except ValueError:
        return None


def parse_message(content: dict) -> tuple[str, str | None, bool]:
    text, client_id = content.get("text"), content.get("client_id")
    steer = content.get("steer")
    if problem := (
        text_problem(text, "text")
        or client_id_problem(client_id)
        or steer_problem(steer)
    ):
        raise BadInput(problem)
    return text, client_id, bool(steer)


class SessionConsumer(AsyncJsonWebsocketConsumer):
    """Streams one session's events to one socket and takes its commands."""

    async def connect(self) -> None:
        self.session: ChatSession | None = None
        self.cursor: SeqCursor | None = None
        self.sending = asyncio.Lock()  # replays, news and tail checks send in turn
        self.tail_check: asyncio.Task | None = None
        self.replay: asyncio.Task | None = None
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
        self.groups_joined = (session_group(session.id), user_group(user.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        current = await database_sync_to_async(last_seq)(session.id)
        self.cursor = SeqCursor(session.id, current)
        await self.send_json(
            {"type": "hello", "session": str(session.id), "last_seq": current}
        )
        after = self._after_from_query()
        if after is not None:
            self._start_replay(after)

    def _after_from_query(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        values = query.get("after")
        if not values:
            return None
        try:
            return parse_seq(values[0])
        except BadInput:
            return None

    async def disconnect(self, code: int) -> None:
        for task in (self.tail_check, self.replay):
            if task is not None:
                task.cancel()
        if self.session is not None:
            for group in self.groups_joined:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ):
        """Parse and dispatch one client frame; bad input gets a `rejected` reply."""
        if self.session is None:
            return
        try:
            await self._dispatch(self._decode(text_data))
        except BadInput as error:
            await self.reject("bad_request", str(error))

    def _decode(self, text_data: str | None) -> dict:
        if text_data is None:
            raise BadInput("frames must be JSON text")
        if (
            len(text_data) > MAX_FRAME_BYTES
            or len(text_data.encode()) > MAX_FRAME_BYTES
        ):
            raise BadInput(f"frame larger than {MAX_FRAME_BYTES} bytes")
        content = decode_json(text_data)
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            raise BadInput("frame must be a JSON object with a string 'type'")
        return content

    async def _dispatch(self, content: dict) -> None:
        match content["type"]:
            case "message":
                await self._message(content)
            case "resume":
                self._start_replay(parse_seq(content.get("after")))
            case "cancel":
                await self._cancel()
            case "resolve":
                await self._resolve(content)
            case other:
                raise BadInput(f"unknown frame type {other[:40]!r}")

    async def _message(self, content: dict) -> None:
        text, client_id, steer = parse_message(content)
        wait = await message_limit().ahit(self.session.owner_id)
        if wait is not None:
            await self.reject("rate_limited", rate_limited_message(wait))
            return
        try:
            admission = await submit_message(
                self.session.id, self.session.agent, text, client_id, steer
            )
        except SteeringRefused:
            await self.reject(
                "bad_request", "this agent does not take messages into a running turn"
            )
            return
        except ApprovalPending:
            await self.reject(
                "approval_pending",
                "a tool call in this session waits for approval: decide it first",
            )
            return
        except RunInProgress:
            await self.reject(
                "run_in_progress", "a run is already active in this session"
            )
            return
        except SessionGone:
            await self.reject("not_found", "this session no longer exists")
            return
        except OverBudget as refused:
            await self.reject(
                refused.code,
                refused.message,
                budget=refused.budget,
                retry_after=refused.retry_after,
            )
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

    def _start_replay(self, after: int) -> None:
        """Replay from `after` in the background, a page at a time; a newer
        resume replaces one still going, so a flood of resumes costs one replay."""
        if self.replay is not None:
            self.replay.cancel()
        self.replay = asyncio.create_task(self._replay(after))

    async def _replay(self, after: int) -> None:
        async with self.sending:
            async for page in self.cursor.replay(after):
                await self._send_text(page)

    async def _cancel(self) -> None:
        user = self.scope["user"].get_username()
        if await cancel_active_run(self.session.id, user) is None:
            await self.reject("not_found", "no active run to cancel")

    async def _resolve(self, content: dict) -> None:
        """A decision on an approval: any approval the user may decide, not
        only this session's (a socket is a way in, as the REST API is)."""
        approval_id = parse_uuid(content.get("approval"), "approval")
        approve, args, reason, remember = parse_decision(content)
        user = self.scope["user"]
        try:
            await resolve_approval(approval_id, user, approve, args, reason, remember)
        except ApprovalNotFound:
            await self.reject("not_found", "no such approval")
        except ApprovalForbidden:
            await self.reject("forbidden", "only staff may decide this approval")
        except AlreadyResolved:
            await self.reject("already_resolved", "this approval was decided already")
        except BadArguments as error:
            await self.reject("bad_request", f"edited args refused: {error}")
        except RememberRefused as error:
            await self.reject("bad_request", str(error))
        else:
            await self.send_json({"type": "ack", "approval": str(approval_id)})

    async def reject(self, code: str, message: str, **details: Any) -> None:
        await self.send_json(
            {"type": "rejected", "code": code, "message": message, **details}
        )

    async def session_events(self, message: dict) -> None:
        """Layer news (`session.events`): send on, in order, each event once."""
        await self.send_frames(message["frames"])
        if self.tail_check is not None:
            self.tail_check.cancel()
        self.tail_check = asyncio.create_task(self._check_tail())

    async def session_deleted(self, message: dict) -> None:
        """The session was deleted: nothing more will come."""
        await self.close(code=CLOSE_NOT_FOUND)

    async def user_versions(self, message: dict) -> None:
        """A fork was made in this session's family: say so, live-only."""
        if message["family"] == str(self.session.family_root):
            frame = {"type": "versions", "session": message["session"]}
            await self.send_json(frame)

    async def user_credentials_revoked(self, message: dict) -> None:
        """The owner's API token was replaced: a socket opened with it closes."""
        if self.scope.get("token_key") == message.get("token"):
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def send_frames(self, frames: list[dict]) -> None:
        """Send wire frames through the cursor: in order, once, gaps refilled."""
        async with self.sending:
            async for page in self.cursor.accept(frames):
                await self._send_text(page)

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
