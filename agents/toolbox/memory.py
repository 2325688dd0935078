"""Memory tools: remember and recall facts about the user across sessions.

Keys are normalised (lower case, words joined by `_`, American spellings made
British) so "favorite color" and "favourite colour" are one memory, whichever
model or user wrote them.
"""

from __future__ import annotations

import re

from agents.state import RunState
from agents.tools import tool

_SPELLINGS = {
    "favorite": "favourite",
    "favorites": "favourites",
    "color": "colour",
    "colors": "colours",
    "flavor": "flavour",
    "flavors": "flavours",
    "neighbor": "neighbour",
}


def memory_key(phrase: str) -> str:
    """The state key of a phrase: "Favorite Color" -> "favourite_colour"."""
    words = re.findall(r"[a-z0-9]+", phrase.lower())
    if not words:
        raise ValueError("a memory needs a name, like 'favourite colour'")
    return "_".join(_SPELLINGS.get(word, word) for word in words)


@tool
async def remember(key: str, value: str, state: RunState) -> dict[str, str]:
    """Remember something about the user, in all of their sessions.

    Args:
        key: What it is, in a few words, e.g. "favourite colour".
        value: Its value, e.g. "green".
    """
    name = memory_key(key)
    await state.set(name, value, scope="user")
    return {"key": name, "value": value}


@tool
async def recall(key: str, state: RunState) -> dict[str, str | None]:
    """Recall something the user asked to be remembered; value is null if unknown.

    Args:
        key: What it is, in a few words, e.g. "favourite colour".
    """
    name = memory_key(key)
    return {"key": name, "value": await state.get(name, scope="user")}


MEMORY_TOOLS = (remember, recall)
