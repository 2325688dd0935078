"""The timeline's cards as HTML, in the chat page's visual language: the user's
messages and the agent's answers as bubbles, thoughts quiet, tool calls as cards
with their outcome, state changes, errors highlighted, and run boundaries with
status, time and tokens.

Built with `format_html` (every value escaped) rather than in the template
language: a hundred cards took about 18 ms in Django's template engine, a third
of the review page's time, and under a millisecond or two here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import TYPE_CHECKING, assert_never

from django.template.defaultfilters import floatformat, linebreaksbr
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from agents import events as ev

if TYPE_CHECKING:
    from conversations.admin.timeline import Entry
    from conversations.models import Event


def run_link(event: Event) -> SafeString:
    url = reverse("admin:conversations_run_change", args=[event.run_id])
    return format_html('<a href="{}">run details</a>', url)


def user_message(entry: Entry) -> SafeString:
    """A person's message; one sent while the agent worked (`steer`) is labelled
    so, as it sits inside the run that took it rather than starting one."""
    data = entry.event.data
    text = linebreaksbr(data.get("text", ""))
    if not data.get("steer"):
        return format_html(
            '<div class="review-bubble review-bubble--user">{}</div>', text
        )
    return format_html(
        '<div class="review-bubble review-bubble--user review-bubble--steer">'
        '<span class="review-steer">User, while the agent worked</span>{}</div>',
        text,
    )


def run_started(entry: Entry) -> SafeString:
    event = entry.event
    return format_html(
        '<div class="review-run">Run started · {} · {}</div>',
        event.data.get("agent", ""),
        run_link(event),
    )


def note(entry: Entry) -> SafeString:
    return format_html(
        '<p class="review-note">{}</p>', entry.event.data.get("text", "")
    )


def thought(entry: Entry) -> SafeString:
    text = entry.event.data.get("text", "")
    return format_html('<p class="review-thought">{}</p>', text)


def tool_card(
    entry: Entry, label: str, time: str, body: SafeString, failed: bool = False
) -> SafeString:
    """A tool's card: its name, a label, its time when known, and the body."""
    return format_html(
        '<div class="review-card{}"><div class="review-card__head"><code>{}</code>'
        '<span class="review-card__id">{}</span>{}</div>{}</div>',
        " review-card--error" if failed else "",
        entry.event.data.get("tool", ""),
        label,
        time,
        body,
    )


def tool_call(entry: Entry) -> SafeString:
    """The call with its arguments, and its result or error when on the page."""
    outcome = entry.outcome
    failed = outcome is not None and outcome.event.type == "tool_error"
    time, result = "", mark_safe('<p class="review-note">No result on this page.</p>')
    if outcome is not None and outcome.event.type == "tool_result":
        time = duration(outcome.event.data.get("duration_ms"))
        result = format_html(
            '<pre id="seq-{}" class="review-card__result">{}</pre>',
            outcome.event.seq,
            outcome.payload,
        )
    elif failed:
        result = format_html(
            '<p id="seq-{}" class="review-card__error">{}</p>',
            outcome.event.seq,
            error_text(outcome.event.data),
        )
    args = format_html('<pre class="review-card__args">{}</pre>', entry.payload)
    label = entry.event.data.get("call_id", "")
    return tool_card(entry, label, time, args + result, failed)


def tool_result(entry: Entry) -> SafeString:
    """A result whose call is on an earlier page."""
    data = entry.event.data
    return tool_card(
        entry,
        f"result of {data.get('call_id', '')}",
        duration(data.get("duration_ms")),
        format_html('<pre class="review-card__result">{}</pre>', entry.payload),
    )


def error_text(data: dict) -> SafeString:
    """A tool error's text, after its code when a person or the engine gave one
    ("rejected", "in_doubt")."""
    code = format_html("<strong>{}</strong> ", data["code"]) if data.get("code") else ""
    return format_html("{}{}", code, data.get("error", ""))


def tool_error(entry: Entry) -> SafeString:
    data = entry.event.data
    error = format_html('<p class="review-card__error">{}</p>', error_text(data))
    return tool_card(entry, f"error of {data.get('call_id', '')}", "", error, True)


def approval_requested(entry: Entry) -> SafeString:
    """A gated call waiting for a person: who decides, until when, on what,
    and its page in the approval inbox (where staff decide)."""
    data = entry.event.data
    inbox = reverse(
        "admin:conversations_approval_change", args=[data.get("approval", "")]
    )
    return format_html(
        '<div class="review-approval"><div><strong>Approval requested</strong> for '
        "<code>{}</code> ({}) · decided by the {} · expires {} · "
        '<a href="{}">in the inbox</a></div>'
        '<pre class="review-card__args">{}</pre></div>',
        data.get("tool", ""),
        data.get("call_id", ""),
        data.get("approver", ""),
        data.get("expires_at", ""),
        inbox,
        entry.payload,
    )


def approval_resolved(entry: Entry) -> SafeString:
    """The decision: by whom (or expiry, or a remembered grant), why, and the
    arguments the call runs with when they were edited."""
    data = entry.event.data
    decision = data.get("decision", "")
    if data.get("by"):
        who = format_html("by {}", data["by"])
    elif data.get("grant"):
        who = format_html("by a remembered grant ({})", data["grant"])
    else:
        who = mark_safe("by nobody in time")
    reason = format_html(": “{}”", data["reason"]) if data.get("reason") else ""
    edited = ""
    if decision == "edited":
        edited = format_html('<pre class="review-card__args">{}</pre>', entry.payload)
    return format_html(
        '<div class="review-approval review-approval--{}"><div><strong>{}</strong> '
        "{}{}</div>{}</div>",
        decision,
        decision.capitalize(),
        who,
        reason,
        edited,
    )


def state_delta(entry: Entry) -> SafeString:
    return format_html(
        '<div class="review-state"><span>State ({})</span><pre>{}</pre></div>',
        entry.event.data.get("scope", ""),
        entry.payload,
    )


def final(entry: Entry) -> SafeString:
    """The answer, marked when cut short, with the user's rating of it."""
    data, feedback = entry.event.data, entry.feedback
    cut = mark_safe(' <em class="review-note">(cut short)</em>')
    rating = ""
    if feedback is not None:
        direction = "up" if feedback.rating > 0 else "down"
        comment = format_html(": “{}”", feedback.comment) if feedback.comment else ""
        rating = format_html(
            '<div class="review-feedback review-feedback--{}">'
            "Rated {} by the user{}</div>",
            direction,
            direction,
            comment,
        )
    return format_html(
        '<div class="review-bubble review-bubble--agent">{}{}{}</div>',
        linebreaksbr(data.get("text", "")),
        cut if data.get("partial") else "",
        rating,
    )


def error(entry: Entry) -> SafeString:
    data = entry.event.data
    return format_html(
        '<div class="review-error"><strong>{}</strong> {}</div>',
        data.get("code", ""),
        data.get("message", ""),
    )


def run_finished(entry: Entry) -> SafeString:
    event, usage = entry.event, entry.event.data.get("usage") or {}
    return format_html(
        '<div class="review-run review-run--end">'
        '<span class="review-pill review-pill--{}">{}</span> '
        "{} ms · {} in / {} out tokens{}</div>",
        event.data.get("status", ""),
        event.data.get("status", ""),
        floatformat(event.data.get("duration_ms"), 0),
        usage.get("input_tokens") or 0,
        usage.get("output_tokens") or 0,
        format_html(" · {}", run_link(event)) if event.run_id else "",
    )


def other(entry: Entry) -> SafeString:
    """A type this page has no card for (a plugin's): its data, as JSON."""
    return format_html(
        '<div class="review-state"><span>{}</span><pre>{}</pre></div>',
        entry.event.type,
        entry.payload,
    )


def duration(ms: float | None) -> SafeString:
    """A tool's time, as the card's head shows it."""
    return format_html(
        '<span class="review-card__time">{} ms</span>', floatformat(ms, 1)
    )


def card(entry: Entry) -> SafeString:
    """The card of an entry, chosen by its event's class."""
    try:
        event = ev.from_wire(entry.event.type, entry.event.data)
    except (TypeError, ValueError):  # a row this version has no class for
        return other(entry)
    match event:
        case ev.UserMessage():
            return user_message(entry)
        case ev.RunStarted():
            return run_started(entry)
        case ev.Info():
            return note(entry)
        case ev.Thought():
            return thought(entry)
        case ev.ToolCall():
            return tool_call(entry)
        case ev.ToolResult():
            return tool_result(entry)
        case ev.ToolError():
            return tool_error(entry)
        case ev.ApprovalRequested():
            return approval_requested(entry)
        case ev.ApprovalResolved():
            return approval_resolved(entry)
        case ev.StateDelta():
            return state_delta(entry)
        case ev.Final():
            return final(entry)
        case ev.Error():
            return error(entry)
        case ev.RunFinished():
            return run_finished(entry)
        case ev.Delta() | ev.AwaitingApproval() | ev.GatedCallStarting():
            return other(entry)  # never stored
        case unexpected:
            assert_never(unexpected)


def entry_html(entry: Entry) -> SafeString:
    """One `<li>` of the timeline, linkable by its seq."""
    event = entry.event
    problem = (
        event.type == "run_finished"
        and event.data.get("status", "") != ev.RunStatus.SUCCEEDED
    )
    stamp = event.ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return format_html(
        '<li id="seq-{}" class="review-event review-event--{}{}">'
        '<a class="review-event__seq" href="#seq-{}" title="{} UTC">#{}</a>{}</li>',
        event.seq,
        event.type,
        " review-event--problem" if problem else "",
        event.seq,
        stamp,
        event.seq,
        card(entry),
    )


def timeline_html(entries: Iterable[Entry]) -> SafeString:
    """The cards of a page, in order."""
    return mark_safe("\n".join(entry_html(entry) for entry in entries))
