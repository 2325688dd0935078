"""A session's transcript as a timeline: one seq range of events per page, each
tool call's card carrying its result or error when both are on the page."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString

from agents.events import PERSISTED_TYPES
from conversations.admin.cards import timeline_html
from conversations.inputs import BadInput, parse_seq
from conversations.models import ChatSession, Event, Feedback

# Events per page: 100, as the API's transcript page. At 200 the page took
# ~65 ms to render on the benchmark machine, two thirds of it in the template.
TIMELINE_PAGE_SIZE = 100


def session_url(session_id: Any, seq: int | None = None) -> str:
    """A session's review page, opened at `seq` when given."""
    url = reverse("admin:conversations_chatsession_change", args=[session_id])
    return url if seq is None else f"{url}?after={max(seq - 1, 0)}#seq-{seq}"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Entry:
    """One row of the timeline; a tool call carries its outcome when on the page."""

    event: Event
    outcome: Entry | None = None

    @property
    def payload(self) -> str:
        """The structured part of the event, pretty-printed for its card."""
        data = self.event.data
        match self.event.type:
            case "tool_call" | "approval_requested" | "approval_resolved":
                return pretty(data.get("args"))
            case "tool_result":  # text (an MCP server's, say) as it is
                result = data.get("result")
                return result if isinstance(result, str) else pretty(result)
            case "state_delta":
                return pretty(data.get("changes"))
            case _ if self.event.type not in PERSISTED_TYPES:
                return pretty(data)
        return ""

    @property
    def feedback(self) -> Feedback | None:
        return getattr(self.event, "feedback", None)


def build_entries(events: Iterable[Event]) -> list[Entry]:
    """Fold each tool result or error into the card of its call, when both are on
    the page; call ids repeat across runs, so they are matched within a run."""
    entries: list[Entry] = []
    open_calls: dict[tuple[Any, str], int] = {}
    for event in events:
        key = (event.run_id, event.data.get("call_id"))
        if event.type in {"tool_result", "tool_error"} and key in open_calls:
            index = open_calls.pop(key)
            entries[index] = replace(entries[index], outcome=Entry(event))
            continue
        if event.type == "tool_call":
            open_calls[key] = len(entries)
        entries.append(Entry(event))
    return entries


@dataclass(frozen=True)
class TimelinePage:
    """Events `after`+1 … `last` of a session: one indexed range query, whatever
    the length of the transcript (seqs are gapless, so ranges are exact)."""

    entries: list[Entry]
    after: int
    last: int
    total: int

    @classmethod
    def load(cls, session: ChatSession, after: int) -> TimelinePage:
        after = min(max(after, 0), session.last_seq)
        events = list(
            Event.objects.for_session(session.pk)
            .select_related("feedback")
            .page(after, TIMELINE_PAGE_SIZE)
        )
        last = events[-1].seq if events else after
        return cls(build_entries(events), after, last, session.last_seq)

    @property
    def cards(self) -> SafeString:
        """The page's events as HTML (conversations.admin.cards)."""
        return timeline_html(self.entries)

    @property
    def earlier(self) -> int | None:
        return max(self.after - TIMELINE_PAGE_SIZE, 0) if self.after > 0 else None

    @property
    def later(self) -> int | None:
        return self.last if self.last < self.total else None

    @property
    def latest(self) -> int:
        return max(self.total - TIMELINE_PAGE_SIZE, 0)


def parse_after(raw: str | None) -> int:
    """The page's `?after=` cursor; a malformed one shows the first page."""
    try:
        return parse_seq(raw or "0")
    except BadInput:
        return 0
