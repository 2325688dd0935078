"""A session's transcript as a document: JSON for machines, Markdown for people.

Shared by the REST export endpoint and the admin's export actions. Text written
by a user or a model never becomes structure: in Markdown it is quoted line by
line (a message saying `### Answer` cannot pass for the agent's answer, nor one
naming another user for the session's header), and JSON Lines escape the
characters some readers take for line ends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from conversations.models import ChatSession


def session_header(session: ChatSession) -> dict[str, Any]:
    return {
        "id": str(session.id),
        "agent": session.agent,
        "title": session.title,
        "owner": session.owner.get_username(),
        "created_at": session.created_at.isoformat(),
        "last_activity": session.last_activity.isoformat(),
    }


def transcript_json(session: ChatSession, envelopes: Iterable[dict]) -> str:
    return json.dumps(
        {"session": session_header(session), "events": list(envelopes)}, indent=2
    )


# JSON allows these raw inside strings; JavaScript before ES2019 and many line
# readers take them for line ends, which would split one transcript's line.
LINE_BREAKING = {
    ord("\u2028"): "\\u2028",
    ord("\u2029"): "\\u2029",
    ord("\x85"): "\\u0085",
}


def transcript_json_line(session: ChatSession, envelopes: Iterable[dict]) -> str:
    """One transcript as one JSON Lines line (compact, ending in a newline)."""
    document = {"session": session_header(session), "events": list(envelopes)}
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
    data = envelope["data"]
    match envelope["type"]:
        case "user_message":
            return f"### User\n\n{quoted(data['text'])}"
        case "info":
            return f"**Info:** {inline(data['text'])}"
        case "thought":
            return f"**Thought:** {inline(data['text'])}"
        case "tool_call":
            return f"**Tool call** `{data['tool']}` with {_code(data['args'])}"
        case "tool_result":
            return (
                f"**Tool result** `{data['tool']}` → {_code(data['result'])} "
                f"({data['duration_ms']:.1f} ms)"
            )
        case "tool_error":
            return f"**Tool error** `{data['tool']}`: {inline(data['error'])}"
        case "state_delta":
            return f"**State** ({data['scope']}): {_code(data['changes'])}"
        case "final":
            suffix = " *(cut short)*" if data.get("partial") else ""
            return f"### Answer{suffix}\n\n{quoted(data['text'])}"
        case "error":
            return f"**Error** ({data['code']}): {inline(data['message'])}"
        case "run_finished":
            return f"---\n*Run {data['status']} in {data['duration_ms']:.0f} ms*"
    return None


def transcript_markdown(session: ChatSession, envelopes: Iterable[dict]) -> str:
    header = session_header(session)
    lines = [
        f"# {heading_text(session.title) or 'Untitled session'}",
        "",
        f"Agent `{header['agent']}` · {header['owner']} · started "
        f"{session.created_at:%Y-%m-%d %H:%M} UTC",
    ]
    for envelope in envelopes:
        block = event_markdown(envelope)
        if block:
            lines += ["", block]
    return "\n".join(lines) + "\n"
