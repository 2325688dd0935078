"""The offline model keeps the user's notes through the notes tools.

"Save a note: call the bank", "note down that the meeting moved to 3pm",
"write down buy milk" save one; "what are my notes?" lists them. Saving may
wait for a person's approval, and the answer says what came of it: saved (as
approved, maybe edited), or not, and why.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agents.llm.offline.generic import what_i_can_do
from agents.llm.offline.plan import Answer, Plan, Request, Step, joined, reason

_SAVE = re.compile(
    r"^(?:please\s+)?(?:(?:save|add|make|take|create|write)\s+(?:a\s+|me\s+a\s+)?note"
    r"|note\s+down|write\s+down|jot\s+down)"
    r"(?:\s+(?:that|to\s+say|saying|of|about))?\s*[:,-]?\s*(?P<text>.+?)[.!\s]*$",
    re.I,
)
_LIST = re.compile(
    r"^(?:what\s+(?:are|were)|show(?:\s+me)?|list|read(?:\s+me)?|tell\s+me)"
    r"\s+(?:all\s+)?my\s+notes[?.!\s]*$",
    re.I,
)


def plan(request: Request) -> Plan | None:
    text = request.text.strip().replace("\u2019", "'")
    if match := _SAVE.match(text):
        found = _save(request, match["text"])
    elif _LIST.match(text):
        found = _list(request)
    else:
        return None
    return replace(found, topic="notes")


def _save(request: Request, note: str) -> Plan:
    if "save_note" not in request.tools:
        return Answer(
            "The user wants a note saved, but I have no save_note tool.",
            f"I can't keep notes here. {what_i_can_do(request)}",
        )
    outcome = request.outcome(0)
    if outcome is None:
        return Step(
            f"The user wants the note “{note}” saved. I'll save it with save_note.",
            (request.call(0, "save_note", text=note),),
        )
    if outcome.error is not None:
        return Answer(
            f"save_note did not save it: {outcome.error}. I'll say so.",
            f"I didn't save the note: {reason(outcome.error)}.",
        )
    saved = (outcome.result or {}).get("saved", note)
    return Answer(
        "save_note stored the note. I can confirm it.",
        f"Saved your note: “{saved}”.",
    )


def _list(request: Request) -> Plan:
    if "list_notes" not in request.tools:
        return Answer(
            "The user asks for their notes, but I have no list_notes tool.",
            f"I can't read notes here. {what_i_can_do(request)}",
        )
    outcome = request.outcome(0)
    if outcome is None:
        return Step(
            "The user asks for their notes. I'll read them with list_notes.",
            (request.call(0, "list_notes"),),
        )
    if outcome.error is not None:
        return Answer(
            f"list_notes failed: {outcome.error}.",
            f"I couldn't read your notes: {reason(outcome.error)}.",
        )
    notes = (outcome.result or {}).get("notes") or []
    if not notes:
        return Answer("There are no notes yet.", "You have no notes yet.")
    return Answer(
        f"list_notes found {len(notes)} notes.",
        f"Your notes: {joined([f'“{n}”' for n in notes])}.",
    )
