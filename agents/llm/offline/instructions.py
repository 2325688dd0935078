"""What the offline model can take from an agent's instructions, and what not.

A rule-based model cannot follow free-form instructions, and it must not pretend
to. It follows one kind: a topic restriction ("Answer only questions about
moons."), which it applies by declining questions on other topics. Directives
about manner it cannot honour ("Always talk like a pirate.") are named in its
reasoning and by `manage.py check`, so nobody believes they are in force.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# The words that name each topic the model's skills answer.
TOPIC_WORDS = {
    "arithmetic": {
        "arithmetic",
        "math",
        "maths",
        "mathematics",
        "calculation",
        "calculations",
        "calculating",
        "numbers",
        "sums",
        "percentages",
    },
    "capital": {"capital", "capitals", "geography", "countries", "country", "places"},
    "population": {
        "population",
        "populations",
        "geography",
        "countries",
        "country",
        "cities",
        "places",
    },
    "moons": {"moon", "moons", "planet", "planets", "astronomy", "space"},
    "time": {"time", "times", "clock", "clocks", "timezone", "timezones", "zones"},
    "memory": {"memory", "remembering"},
    "notes": {"note", "notes"},
    "units": {"units", "unit", "conversion", "conversions", "measurements"},
}

_ONLY = re.compile(
    r"\bonly\b(?:\s+\w+){0,4}?\s+(?:about|on|with|regarding|concerning)\s+(?P<topic>[^.;\n]+)"
    r"|\bonly\s+(?:answer|help|talk|discuss)\s+(?P<direct>[^.;\n]+)",
    re.I,
)
_LANGUAGES = (
    "english|french|spanish|german|italian|portuguese|dutch|chinese|japanese|"
    "korean|russian|arabic|hindi|polish|swedish|turkish|greek|latin"
)
_MANNER = re.compile(
    r"\b(?:talk|speak|write|sound|act|respond|reply|answer)\s+(?:like|as)\s+an?\b"
    r"|\bin\s+the\s+(?:style|voice|manner)\s+of\b"
    rf"|\bin\s+(?:{_LANGUAGES})\b"
    r"|\bbe\s+(?:brief|concise|terse|funny|witty|formal|informal|polite|sarcastic|"
    r"friendly|cheerful|playful)\b"
    r"|\b(?:use|add|with)\s+(?:emoji|emojis|bullet\s+points|json|tables?)\b"
    r"|\brhym\w*|\bhaiku\b|\bpirate\b|\bshakespeare",
    re.I,
)


@dataclass(frozen=True)
class Guidance:
    """What the instructions mean to the offline model: the topics it may
    answer (`None`: any) and the sentences it cannot follow."""

    topics: frozenset[str] | None
    unfollowed: tuple[str, ...]

    def allows(self, topic: str) -> bool:
        return not topic or self.topics is None or topic in self.topics


@functools.lru_cache(maxsize=64)
def guidance(instructions: str) -> Guidance:
    return Guidance(_topics(instructions), unfollowed(instructions))


def _topics(instructions: str) -> frozenset[str] | None:
    found: set[str] = set()
    restricted = False
    for match in _ONLY.finditer(instructions):
        restricted = True
        words = set(re.findall(r"[a-z]+", (match["topic"] or match["direct"]).lower()))
        found |= {topic for topic, names in TOPIC_WORDS.items() if words & names}
    return frozenset(found) if restricted else None


def unfollowed(instructions: str) -> tuple[str, ...]:
    """The sentences of `instructions` that ask for a manner the model lacks."""
    sentences = re.split(r"(?<=[.!?])\s+|\n+", instructions.strip())
    return tuple(s.strip() for s in sentences if s.strip() and _MANNER.search(s))
