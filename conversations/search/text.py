"""What of an event is searched, how a query is read, and the snippet of a hit.

One reading serves both databases: a query is its words (AND), "quoted
phrases" and -excluded words, so neither PostgreSQL's nor SQLite's query
syntax is ever exposed to what a user types.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

SEARCHED_TYPES = (
    "user_message",
    "final",
    "thought",
    "tool_call",
    "tool_result",
    "tool_error",
)
MAX_TERMS = 16
SNIPPET_WORDS = 24

_WORD = re.compile(r"\w+", re.UNICODE)
_TERM = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)')
_SUFFIXES = ("ing", "ed", "es", "ly", "s")


@dataclass(frozen=True)
class Term:
    """A word or a phrase of a query, and whether it is excluded."""

    words: tuple[str, ...]
    excluded: bool = False


class BadQuery(ValueError):
    """A query with nothing to look for."""


def text_of(kind: str, data: dict[str, Any]) -> str:
    """The searchable text of an event of type `kind`, "" when it has none."""
    match kind:
        case "user_message" | "final" | "thought":
            return str(data.get("text", ""))
        case "tool_call":
            return f"{data.get('tool', '')} {_flat(data.get('args'))}".strip()
        case "tool_result":
            return _flat(data.get("result"))
        case "tool_error":
            return str(data.get("error", ""))
    return ""


def _flat(value: Any) -> str:
    """The words of a JSON value: its strings and numbers, keys left out."""
    if isinstance(value, dict):
        return " ".join(_flat(item) for item in value.values())
    if isinstance(value, list):
        return " ".join(_flat(item) for item in value)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def parse(query: str) -> list[Term]:
    """The terms of `query`; `BadQuery` when none is a word to look for."""
    terms = []
    for match in _TERM.finditer(query):
        excluded = bool(match.group(1) or match.group(3))
        text = match.group(2) if match.group(2) is not None else match.group(4)
        words = tuple(word.lower() for word in _WORD.findall(text))
        if words:
            terms.append(Term(words, excluded))
    terms = terms[:MAX_TERMS]
    if not any(not term.excluded for term in terms):
        raise BadQuery("Search for at least one word.")
    return terms


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def snippet(body: str, terms: list[Term]) -> tuple[str, list[tuple[int, int]]]:
    """A stretch of `body` around its first matching word, and where in that
    stretch each word of the query stands (start, end), for highlighting."""
    wanted = {_stem(w) for term in terms if not term.excluded for w in term.words}
    words = list(_WORD.finditer(body))
    hits = [i for i, w in enumerate(words) if _stem(w.group().lower()) in wanted] or [0]
    first = max(0, hits[0] - SNIPPET_WORDS // 3)
    last = min(len(words), first + SNIPPET_WORDS)
    if not words:
        return body[:200], []
    start = 0 if first == 0 else words[first].start()
    end = len(body) if last == len(words) else words[last - 1].end()
    prefix = "" if start == 0 else "…"
    suffix = "" if end == len(body) else "…"
    text = prefix + body[start:end] + suffix
    shift = len(prefix) - start
    marks = [
        (words[i].start() + shift, words[i].end() + shift)
        for i in hits
        if first <= i < last and _stem(words[i].group().lower()) in wanted
    ]
    return text, marks
