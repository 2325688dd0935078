"""A `RunAgentInput` read into what the engine is asked to do, or `BadInput`.

The package's own model checks the shape (types, required fields); the rules
for what we store are the ones every other way in applies (`conversations.inputs`):
the text of a message, the agent's name, and a decision's spelling, so an AG-UI
client is refused exactly what a socket or the REST API would be.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import RunAgentInput, TextPart
from pydantic import ValidationError

from conversations.engine.approvals import Answer
from conversations.inputs import (
    BadInput,
    client_id_problem,
    decode_json,
    parse_decision,
    parse_uuid,
    text_problem,
)
from conversations.sse import known_agent

CANCELLED_REASON = "The client cancelled the interrupt."


@dataclass(frozen=True)
class AguiRequest:
    """A message to run (`text`, with the sender's message id as its client
    id), or, with `answers`, decisions that resume a waiting run."""

    thread_id: uuid.UUID
    agent: str | None
    text: str | None = None
    client_id: str | None = None
    answers: list[Answer] = field(default_factory=list)


def parse_run_input(body: bytes) -> AguiRequest:
    payload = decode_json(body or b"null")
    if not isinstance(payload, dict):
        raise BadInput("The body must be a RunAgentInput JSON object.")
    try:
        run_input = RunAgentInput.model_validate(payload)
    except ValidationError as exc:
        raise BadInput(f"Not a valid RunAgentInput: {_reasons(exc)}") from None
    thread_id = parse_uuid(run_input.thread_id, "threadId")
    agent = _agent(run_input.forwarded_props)
    if run_input.resume:
        return AguiRequest(thread_id, agent, answers=_answers(run_input.resume))
    text, message_id = _newest_user_message(run_input)
    client_id = None if client_id_problem(message_id) else message_id
    return AguiRequest(thread_id, agent, text, client_id)


def _reasons(exc: ValidationError) -> str:
    reasons = [
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors()[:5]
    ]
    return "; ".join(reasons)


def _agent(props: Any) -> str | None:
    if props is None:
        return None
    if not isinstance(props, dict):
        raise BadInput("'forwardedProps' must be an object.")
    agent = props.get("agent")
    return None if agent is None else known_agent(agent)


def _newest_user_message(run_input: RunAgentInput) -> tuple[str, str]:
    """The newest user message is the new one: the server keeps the history."""
    for message in reversed(run_input.messages):
        if message.role != "user":
            continue
        content = message.content
        if not isinstance(content, str):
            if not all(isinstance(part, TextPart) for part in content):
                raise BadInput("Only text is taken in a user message's content.")
            content = "".join(part.text for part in content)
        if problem := text_problem(content, "content"):
            raise BadInput(f"The newest user message: {problem}.")
        return content, message.id
    raise BadInput("'messages' holds no user message to run.")


def _answers(entries: list) -> list[Answer]:
    answers, seen = [], set()
    for n, entry in enumerate(entries):
        approval_id = parse_uuid(entry.interrupt_id, f"resume[{n}].interruptId")
        if approval_id in seen:
            raise BadInput(f"resume[{n}] answers interrupt {approval_id} twice.")
        seen.add(approval_id)
        if entry.status == "cancelled":
            answers.append(Answer(approval_id, False, reason=CANCELLED_REASON))
            continue
        payload = entry.payload
        if isinstance(payload, bool):
            payload = {"decision": "approve" if payload else "reject"}
        if not isinstance(payload, dict):
            raise BadInput(
                f'resume[{n}].payload must say the decision: {{"decision": "approve"}}'
                ' or "reject" (see the interrupt\'s responseSchema).'
            )
        try:
            approve, args, reason, remember = parse_decision(payload)
        except BadInput as exc:
            raise BadInput(f"resume[{n}].payload: {exc}") from None
        answers.append(Answer(approval_id, approve, args, reason, remember))
    return answers
