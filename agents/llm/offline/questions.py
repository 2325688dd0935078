"""One message, several questions: where the offline model splits a message.

"What is the capital of Japan, and what is 12 times 7 plus 5?" asks two
things. The split happens at sentence ends and where a new question starts
after "and", a comma or a semicolon ("…, and what is …", "… and how many …"),
never inside one request: "add 2 and 2" keeps its "and", a chain such as
"add 2 and 2 then multiply by 10" is one request for arithmetic to resolve, and
a condition ("when it is 3pm in Sydney, what time is it in Berlin?") stays
with the question it conditions.
A leading greeting ("Hi! What is 2 + 2?") is noted, not answered as a question.
"""

from __future__ import annotations

import re

_STARTS = (
    r"what|what's|whats|how|who|where|which|when|why|tell\s+me|recall|"
    r"remember\s+(?:that\s+)?my|"
    r"do\s+you|can\s+you|could\s+you|convert|calculate|also"
)
# A full stop ends a sentence unless it ends an abbreviation ("St. Lucia").
_SENTENCE = re.compile(
    r"(?<=[?!])\s+|(?<!\bSt\.)(?<!\bMr\.)(?<!\bDr\.)(?<!\bvs\.)(?<!\.C\.)(?<=\.)\s+"
    r"|\s*;\s*"
)
_NEXT_QUESTION = re.compile(
    rf"\s*,\s*(?:and\s+)?(?:also\s+|then\s+)?(?=(?:{_STARTS})\b)"
    rf"|\s+and\s+(?:also\s+|then\s+)?(?=(?:{_STARTS})\b)",
    re.I,
)
_CONDITION = re.compile(r"^(?:when|if)\s+it\s+is\b", re.I)
# What is left of "Also, what is …" once the question is split off.
_CONNECTIVE = re.compile(r"(?:and|also|then|so|ok|okay|plus|oh)[\s,.!]*", re.I)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|good\s+(?:morning|afternoon|evening))(?:\s+there)?[\s,!.]+"
    r"(?=\S)",
    re.I,
)


def split(text: str) -> tuple[bool, list[str]]:
    """(whether it opened with a greeting, the questions in order)."""
    text = text.strip()
    greeted = bool(match := _GREETING.match(text))
    if match:
        text = text[match.end() :]
    parts = [
        part.strip(" ,")
        for sentence in _SENTENCE.split(text)
        for part in _conditioned(_NEXT_QUESTION.split(sentence))
    ]
    return greeted, [
        part for part in parts if part and not _CONNECTIVE.fullmatch(part)
    ] or [text]


def _conditioned(parts: list[str]) -> list[str]:
    """`parts` with each condition joined to the question after it."""
    joined: list[str] = []
    for part in parts:
        if joined and _CONDITION.match(joined[-1]):
            joined[-1] = f"{joined[-1].rstrip(' ,')}, {part.strip()}"
        else:
            joined.append(part)
    return joined
