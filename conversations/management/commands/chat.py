"""Talk to an agent from a terminal, watching each step as it happens."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import assert_never

from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from agents import events as ev
from conversations.agent_factory import agent_names, default_agent
from conversations.delivery import follow
from conversations.engine.admission import RunInProgress
from conversations.engine.approvals import AlreadyResolved, ApprovalForbidden
from conversations.engine.forks import ForkRefused
from conversations.engine.service import (
    fork as fork_session,
)
from conversations.engine.service import (
    resolve_approval,
    submit_message,
    wait_for_run,
)
from conversations.models import ChatSession

LABELS = {
    "user_message": "USER",
    "run_started": "INFO",
    "info": "INFO",
    "thought": "THOUGHT",
    "tool_call": "CALL",
    "tool_result": "RESULT",
    "tool_error": "TOOL ERROR",
    "approval_requested": "APPROVAL",
    "approval_resolved": "DECIDED",
    "state_delta": "STATE",
    "final": "FINAL",
    "error": "ERROR",
    "run_finished": "DONE",
}


def describe(frame: dict) -> str:
    """One readable line per event, like the article's THOUGHT:/RESULT:/FINAL: lines."""
    match ev.from_wire(frame["type"], frame["data"]):
        case ev.RunStarted(agent=agent):
            text = f"agent {agent} started"
        case ev.ToolCall(tool=tool, args=args):
            text = f"{tool}({json.dumps(args)})"
        case ev.ToolResult(tool=tool, result=result, duration_ms=ms):
            text = f"{tool} returned {json.dumps(result, default=str)} ({ms:.1f} ms)"
        case ev.ToolError(tool=tool, error=error):
            text = f"{tool}: {error}"
        case ev.ApprovalRequested(tool=tool, args=args, approver=who, approval=id_):
            text = f"{tool}({json.dumps(args)}) waits for the {who}'s decision ({id_})"
        case ev.ApprovalResolved(decision=decision, by=by, reason=reason):
            text = f"{decision} by {by or 'nobody in time'}" + (
                f": {reason}" if reason else ""
            )
        case ev.StateDelta(scope=scope, changes=changes):
            text = f"{scope} {json.dumps(changes, default=str)}"
        case ev.Error(code=code, message=message):
            text = f"{code}: {message}"
        case ev.RunFinished(status=status, duration_ms=ms):
            text = f"{status} in {ms:.0f} ms"
        case ev.UserMessage(text=text, steer=True):
            text = f"{text} (while the agent worked)"
        case ev.UserMessage(text=text) | ev.Info(text=text) | ev.Thought(text=text):
            pass
        case ev.Final(text=text) | ev.Delta(text=text):
            pass
        case ev.AwaitingApproval() | ev.GatedCallStarting():
            text = ""  # signals, never stored
        case unexpected:
            assert_never(unexpected)
    return f"{LABELS.get(frame['type'], frame['type'].upper())}: {text}"


class Command(BaseCommand):
    help = "Send one message to an agent and print its steps as they stream."

    def add_arguments(self, parser) -> None:
        parser.add_argument("message")
        parser.add_argument("--agent", help="agent name (default: the default agent)")
        parser.add_argument("--session", help="continue this session (its id)")
        parser.add_argument(
            "--fork",
            type=int,
            metavar="SEQ",
            help="with --session: send the message in a fork of it made after "
            "event SEQ (0, or a run_finished), leaving the session as it is",
        )
        parser.add_argument(
            "--user", default="cli", help="whose session (created if missing)"
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print event envelopes"
        )

    def handle(
        self, *args, message, agent, session, fork, user, as_json: bool, **options
    ) -> None:
        agent = agent or default_agent()
        if agent not in agent_names():
            raise CommandError(
                f"unknown agent {agent!r}; try: {', '.join(agent_names())}"
            )
        chat_session = self._session(session, agent, user)
        if fork is not None:
            if session is None:
                raise CommandError("--fork needs --session: the session to fork")
            try:
                chat_session = async_to_sync(fork_session)(chat_session.pk, fork)
            except ForkRefused as refusal:
                raise CommandError(refusal.message) from None
            self.stderr.write(f"forked {session} after event {fork}")
        self.stderr.write(f"session {chat_session.id}")
        try:
            asyncio.run(self._chat(chat_session, message, as_json=as_json))
        except RunInProgress:
            raise CommandError("a run is already active in this session") from None

    def _session(
        self, session_id: str | None, agent: str, username: str
    ) -> ChatSession:
        owner, _ = get_user_model().objects.get_or_create(username=username)
        if session_id is None:
            return ChatSession.objects.create(owner=owner, agent=agent)
        try:
            return ChatSession.objects.get(pk=uuid.UUID(session_id))
        except (ValueError, ChatSession.DoesNotExist):
            raise CommandError(f"no session {session_id}") from None

    async def _chat(self, session: ChatSession, message: str, *, as_json: bool) -> None:
        admission = await submit_message(session.id, session.agent, message)
        async for frame in follow(session.id, admission.seq - 1, admission.run_id):
            if frame is None or frame["type"] == "delta":
                continue
            envelope = json.loads(frame["json"])
            line = frame["json"] if as_json else describe(envelope)
            await sync_to_async(self.stdout.write)(line)
            if envelope["type"] == "approval_requested" and not await self._decide(
                session, envelope["data"]
            ):
                return  # the run waits, durably, for a decision made elsewhere
        await wait_for_run(admission.run_id)

    async def _decide(self, session: ChatSession, request: dict) -> bool:
        """Ask at the prompt, as the session's owner, when there is a person at
        a terminal; otherwise say how to decide. True once decided here."""
        if not sys.stdin.isatty():
            self.stderr.write(
                f"approval {request['approval']} waits: decide it on the chat page, "
                f"or POST /api/approvals/{request['approval']}/resolve/ "
                '{"decision": "approve"} (or "reject")'
            )
            return False
        answer = await sync_to_async(input)("Approve? [y/N, or a reason to reject] ")
        approve = answer.strip().lower() in ("y", "yes")
        reason = "" if approve or answer.strip().lower() in ("", "n", "no") else answer
        owner = await sync_to_async(lambda: session.owner)()
        try:
            await resolve_approval(request["approval"], owner, approve, None, reason)
        except (ApprovalForbidden, AlreadyResolved) as error:
            self.stderr.write(f"not decided here: {type(error).__name__}")
            return False
        return True
