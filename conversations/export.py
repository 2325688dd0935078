"""A session's transcript as a document: JSON for machines, Markdown for people.

Shared by the REST export endpoint and the admin's export actions. Both carry
what people said about the transcript too: the owner's rating and comment on
each answer, and staff's review (who, when, notes). Text written
by a user or a model never becomes structure: in Markdown it is quoted line by
line (a message saying `### Answer` cannot pass for the agent's answer, nor one
naming another user for the session's header), and JSON Lines escape the
characters some readers take for line ends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, assert_never

from agents import events as ev
from conversations.models import ChatSession, Feedback


def session_header(session: ChatSession) -> dict[str, Any]:
    return {
        "id": str(session.id),
        "agent": session.agent,
        "title": session.title,
        "owner": session.owner.get_username(),
        "created_at": session.created_at.isoformat(),
        "last_activity": session.last_activity.isoformat(),
        "parent": str(session.parent_id) if session.parent_id else None,
        "forked_at": session.forked_at,
        "review": {
            "reviewed": session.reviewed,
            "by": session.reviewed_by.get_username() if session.reviewed_by else None,
            "at": session.reviewed_at.isoformat() if session.reviewed_at else None,
            "notes": session.review_notes,
        },
    }


def feedback(session: ChatSession) -> list[dict[str, Any]]:
    """The owner's ratings of this session's answers, by the answer's seq."""
    rows = Feedback.objects.filter(event__session=session).order_by("event__seq")
    return [
        {
            "seq": row.event.seq,
            "rating": "up" if row.rating > 0 else "down",
            "comment": row.comment,
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows.select_related("event")
    ]


def _document(session: ChatSession, envelopes: Iterable[dict]) -> dict[str, Any]:
    return {
        "session": session_header(session),
        "events": list(envelopes),
        "feedback": feedback(session),
    }


def transcript_json(session: ChatSession, envelopes: Iterable[dict]) -> str:
    return json.dumps(_document(session, envelopes), indent=2)


# JSON allows these raw inside strings; JavaScript before ES2019 and many line
# readers take them for line ends, which would split one transcript's line.
LINE_BREAKING = {
    ord("\u2028"): "\\u2028",
    ord("\u2029"): "\\u2029",
    ord("\x85"): "\\u0085",
}


def transcript_json_line(session: ChatSession, envelopes: Iterable[dict]) -> str:
    """One transcript as one JSON Lines line (compact, ending in a newline)."""
    document = _document(session, envelopes)
    return json.dumps(document, ensure_ascii=False).translate(LINE_BREAKING) + "\n"


def quoted(text: str) -> str:
    """Free text as a Markdown block quote, every line of it."""
    return "\n".join(f"> {line}" for line in (text.splitlines() or [""]))


def inline(text: str) -> str:
    """Free text after a label: on the label's line when it is one line, else
    as a quote below it, so it cannot start a block of its own."""
    if len(text.splitlines()) <= 1:
        return " ".join(text.split())
    return "\n\n" + quoted(text)


def heading_text(text: str) -> str:
    """Free text for a heading: one line, so it cannot start a block of its own,
    and its `#` escaped, which Markdown would take for the heading's own."""
    return re.sub(r"([\\#])", r"\\\1", " ".join(text.split()))


def _code(value: Any) -> str:
    """A JSON value as inline code, fenced so backticks inside cannot end it."""
    text = json.dumps(value, ensure_ascii=False)
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    padding = " " if "`" in text else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def event_markdown(envelope: dict) -> str | None:
    """One event as a Markdown block; bookkeeping events say nothing."""
    match ev.from_wire(envelope["type"], envelope["data"]):
        case ev.UserMessage(text=text, steer=steer):
            when = " (while the agent worked)" if steer else ""
            return f"### User{when}\n\n{quoted(text)}"
        case ev.Info(text=text):
            return f"**Info:** {inline(text)}"
        case ev.Thought(text=text):
            return f"**Thought:** {inline(text)}"
        case ev.ToolCall(tool=tool, args=args):
            return f"**Tool call** `{tool}` with {_code(args)}"
        case ev.ToolResult(tool=tool, result=result, duration_ms=ms):
            return f"**Tool result** `{tool}` → {_code(result)} ({ms:.1f} ms)"
        case ev.ToolError(tool=tool, error=error, code=code):
            why = f" ({code})" if code else ""
            return f"**Tool error**{why} `{tool}`: {inline(error)}"
        case ev.ApprovalRequested(tool=tool, args=args, approver=approver):
            return f"**Approval requested** from the {approver}: `{tool}` with {_code(args)}"
        case ev.ApprovalResolved(decision=decision, args=args, reason=reason, by=by):
            who = f"by {inline(by)}" if by else "by nobody in time"
            why = f": {inline(reason)}" if reason else ""
            edited = f", to run with {_code(args)}" if decision == "edited" else ""
            return f"**Approval {decision}** {who}{why}{edited}"
        case ev.StateDelta(scope=scope, changes=changes):
            return f"**State** ({scope}): {_code(changes)}"
        case ev.Final(text=text, partial=partial):
            suffix = " *(cut short)*" if partial else ""
            return f"### Answer{suffix}\n\n{quoted(text)}"
        case ev.Error(code=code, message=message):
            return f"**Error** ({code}): {inline(message)}"
        case ev.RunFinished(status=status, duration_ms=ms):
            return f"---\n*Run {status} in {ms:.0f} ms*"
        case (
            ev.RunStarted()
            | ev.Delta()
            | ev.AwaitingApproval()
            | ev.GatedCallStarting()
        ):
            return None
        case unexpected:
            assert_never(unexpected)


def rating_markdown(rating: dict[str, Any]) -> str:
    """The owner's rating under the answer it rates."""
    verdict = "good answer" if rating["rating"] == "up" else "bad answer"
    comment = f": {inline(rating['comment'])}" if rating["comment"] else ""
    return f"**Rated** {verdict}{comment}"


def review_markdown(review: dict[str, Any]) -> str | None:
    if not review["reviewed"] and not review["notes"]:
        return None
    lines = ["## Review", ""]
    if review["reviewed"]:
        lines.append(
            f"Reviewed by {heading_text(review['by'] or 'staff')} at {review['at']}"
        )
    else:
        lines.append("Not marked reviewed yet")
    if review["notes"]:
        lines += ["", quoted(review["notes"])]
    return "\n".join(lines)


def transcript_markdown(session: ChatSession, envelopes: Iterable[dict]) -> str:
    header = session_header(session)
    lines = [
        f"# {heading_text(session.title) or 'Untitled session'}",
        "",
        f"Agent `{header['agent']}` · {header['owner']} · started "
        f"{session.created_at:%Y-%m-%d %H:%M:%S} UTC",
    ]
    if session.forked_at is not None:
        origin = f"session `{header['parent']}`" if header["parent"] else "a session"
        lines += ["", f"Forked from {origin} after event {session.forked_at}"]
    if review := review_markdown(header["review"]):
        lines += ["", review]
    ratings = {rating["seq"]: rating for rating in feedback(session)}
    for envelope in envelopes:
        block = event_markdown(envelope)
        if block:
            lines += ["", block]
        if envelope["seq"] in ratings:
            lines += ["", rating_markdown(ratings[envelope["seq"]])]
    return "\n".join(lines) + "\n"
