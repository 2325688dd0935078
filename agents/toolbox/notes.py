"""Notes the user keeps: a tool with a side effect, for agents that ask first.

`save_note` changes what the user has (their notes, in user state, seen by all
their sessions with the agent), so the bundled `notes` agent gates it behind a
person's approval; `list_notes` only reads and runs freely.
"""

from __future__ import annotations

from agents.state import RunState
from agents.tools import tool

MAX_NOTES = 200


@tool
async def save_note(text: str, state: RunState) -> dict[str, object]:
    """Save a note for the user, kept in all of their sessions with this agent.

    Args:
        text: The note, as the user wants it written.
    """
    if not text.strip():
        raise ValueError("a note needs some text")
    notes = await state.update(
        "notes", lambda old: [*(old or []), text][-MAX_NOTES:], scope="user"
    )
    return {"saved": text, "notes": len(notes)}


@tool
async def list_notes(state: RunState) -> dict[str, list[str]]:
    """List the user's notes, oldest first."""
    return {"notes": await state.get("notes", scope="user") or []}


NOTE_TOOLS = (save_note, list_notes)
