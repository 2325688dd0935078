"""The offline model answers fact questions with `lookup_fact`, follow-ups included.

"And what is its population?" names no subject: the model takes it from the
last fact looked up earlier in *this* conversation (the messages it was given),
so two sessions never mix, and an agent without history says it cannot tell.
After a capital was looked up, "its" may mean the capital or the country: the
model looks up both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from agents.llm.offline.generic import what_i_can_do
from agents.llm.offline.plan import Answer, Outcome, Plan, Request, Step, joined, reason

_PRONOUNS = {
    "it",
    "its",
    "there",
    "that",
    "this",
    "that country",
    "that city",
    "that planet",
    "this country",
    "this planet",
    "they",
    "them",
    "their",
}
# Where the subject starts, most telling first: "do you know the capital of
# Kenya" names Kenya after "of", not after "do".
_PREPOSITIONS = (
    "of",
    "in",
    "about",
    "for",
    "around",
    "orbit",
    "orbiting",
    "has",
    "does",
    "do",
)
_TRAILING = (
    r"(?:\s+(?:have|has|got|live|there|is|are|today|now|a\s+moon|any\s+moons?))*$"
)
_POSSESSIVE = re.compile(
    r"^(?:.*\babout\s+|what\s+is\s+|what's\s+|whats\s+)?(?P<subject>[^?!.]+?)'s\s+"
    r"(?:capital|population|moons?|largest|biggest)\b",
    re.I,
)
_SUBJECT = (
    _POSSESSIVE,
    *(
        re.compile(rf"\b{word}\s+(?P<subject>[^?!.]+?){_TRAILING}", re.I)
        for word in _PREPOSITIONS
    ),
    re.compile(
        r"^(?:what\s+is\s+|what's\s+)?(?:the\s+)?(?P<subject>[^?!.]+?)\s+"
        r"(?:capital|population)(?:\s+city)?$",
        re.I,
    ),
)
# "Where is Canberra?", "Lima is the capital of which country?"
_WHICH_COUNTRY = (
    re.compile(r"^where\s+is\s+(?P<subject>[^?!.]+)$", re.I),
    re.compile(
        r"^(?:which|what)\s+country\s+(?:is|has)\s+(?P<subject>.+?)"
        r"(?:\s+(?:the|as\s+its)\s+capital(?:\s+of)?)$",
        re.I,
    ),
    re.compile(
        r"^(?P<subject>.+?)\s+is\s+the\s+capital\s+of\s+(?:which|what)(?:\s+country)?$",
        re.I,
    ),
)
_ABOUT = re.compile(
    r"^(?:(?:can\s+you\s+)?tell\s+me\s+(?:something\s+|a\s+bit\s+|more\s+)?about|"
    r"what\s+do\s+you\s+know\s+about|(?:some\s+)?facts\s+about|"
    r"info(?:rmation)?\s+(?:on|about))\s+(?P<subject>.+)$",
    re.I,
)
_NAMES = re.compile(
    r"\b(?:names?|called|list\s+them|name\s+them|which\s+(?:ones|are\s+they))\b", re.I
)
_LARGEST = re.compile(r"\b(?:largest|biggest)\b", re.I)


@dataclass(frozen=True)
class _Question:
    """A fact question: `subject` None means "it", from earlier; `detail` is
    "names" or "largest" for moons."""

    attribute: str
    subject: str | None
    detail: str = ""


# Questions about a place that the data cannot answer, even if they mention a
# capital or a moon: "how far is the Moon", "what language is spoken in the capital".
_OTHER_PROPERTY = re.compile(
    r"\b(?:how\s+(?:far|big|old|large|hot|cold|long)|distance|size|diameter|radius|"
    r"mass|weigh\w*|gravity|temperature|age|area|currency|language|president|leader|"
    r"king|queen|flag|time\s+zone|weather|mayor|founded|landed)\b"
)


def _attribute(text: str) -> str | None:
    if _OTHER_PROPERTY.search(text):
        return None
    if "capital" in text:
        return "capital"
    if re.search(r"\bpop(?:ulation)?\b|how\s+many\s+people|inhabitants", text):
        return "population"
    if re.search(r"\bmoons?\b", text):
        return "moons"
    return None


def _question(request: Request) -> _Question | None:
    """What a fact question asks, or `None` when the message is not one."""
    text = re.sub(r"[?!.\s]+$", "", request.text.replace("\u2019", "'")).strip()
    text = re.sub(r"^(?:and|so|ok|okay|also|now)[,\s]+", "", text, flags=re.I)
    last = _last_fact(request.history)
    for pattern in _WHICH_COUNTRY:
        if match := pattern.match(text):
            return _Question("capital", _subject(match["subject"]))
    attribute = _attribute(text.lower())
    detail = "names" if _NAMES.search(text) else ""
    detail = "largest" if _LARGEST.search(text) else detail
    if (
        attribute is None
        and detail
        and last is not None
        and last["attribute"] == "moons"
    ):
        # "What are their names?" after a moon count.
        return _Question("moons", None, detail)
    again = re.fullmatch(
        r"how\s+many\s+(?:does|do|has|have)\s+(?P<subject>[^\d,]{2,40}?)"
        r"(?:\s+(?:have|has|got))?",
        text,
        re.I,
    )
    if attribute is None and again and last is not None:
        # "How many moons does Mars have, and how many does Jupiter have?"
        return _Question(last["attribute"], _subject(again["subject"]), "")
    about = re.fullmatch(
        r"(?:what|how)\s+about\s+(?P<subject>.+)|(?P<bare>[^\d,]{2,40})", text, re.I
    )
    if attribute is None and about and last is not None:
        # "What about Germany?" or "And Spain?" asks the previous question again.
        named = about["subject"] or about["bare"]
        if about["subject"] or (request.text.lstrip().lower().startswith("and ")):
            return _Question(last["attribute"], _subject(named), "")
    if attribute is None:
        return None
    for pattern in _SUBJECT:
        if match := pattern.search(text):
            return _Question(attribute, _subject(match["subject"]), detail)
    return _Question(attribute, None, detail)


def _subject(text: str) -> str | None:
    """A named subject, or `None` for a pronoun that refers back."""
    subject = re.sub(r"^the\s+|'s$", "", text.strip(), flags=re.I)
    return None if subject.lower() in _PRONOUNS else subject


# Countries whose own name has an "and" in it, which names one subject, not two.
_ONE_NAME = re.compile(
    r"antigua and barbuda|bosnia and herzegovina|saint kitts and nevis|"
    r"saint vincent and the grenadines|s[aã]o tom[eé] and pr[ií]ncipe|"
    r"trinidad and tobago",
    re.I,
)
# Between the subjects of one question: "Spain, Portugal and Italy", "India and
# of China", "France and the capital of Germany".
_BETWEEN = re.compile(
    r"\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?:(?:the\s+)?(?:capital|population|moons?)\s+)?"
    r"(?:of\s+)?",
    re.I,
)


def _subjects(subject: str) -> list[str]:
    """The subjects one question names: "Spain, Portugal and Italy" is three."""
    if _ONE_NAME.search(subject):
        return [subject]
    return [s for part in _BETWEEN.split(subject) if (s := _subject(part))]


def _last_fact(history: tuple[Outcome, ...]) -> dict[str, Any] | None:
    """The last fact looked up successfully in the earlier conversation."""
    for outcome in reversed(history):
        if (
            outcome.name == "lookup_fact"
            and outcome.error is None
            and isinstance(outcome.result, dict)
        ):
            return outcome.result
    return None


def plan(request: Request) -> Plan | None:
    text = request.text.strip()
    about = None
    if match := _ABOUT.match(re.sub(r"[?!.\s]+$", "", text)):
        about = _subject(match["subject"])
        about = None if about is None or _attribute(about.lower()) else about
    question = None if about else _question(request)
    if about is None and question is None:
        return None
    topic = "capital" if question is None else question.attribute
    if "lookup_fact" not in request.tools:
        found = Answer(
            f"This asks about {about or topic}, but I have no lookup_fact tool.",
            f"I can't look facts up here. {what_i_can_do(request)}",
        )
    elif question is None:
        found = _about(request, about)
    else:
        found = _asked(request, question)
    return replace(found, topic=topic)


def _asked(request: Request, question: _Question) -> Plan:
    attribute, subject = question.attribute, question.subject
    if subject is not None:
        subjects, context = _subjects(subject), ""
    else:
        referent = _last_fact(request.history)
        if referent is None:
            return _unclear(request, attribute)
        subjects, context = _resolve(referent, attribute)
    calls = [
        request.call(i, "lookup_fact", subject=s, attribute=attribute)
        for i, s in enumerate(subjects)
    ]
    outcomes = [request.outcome(i) for i in range(len(calls))]
    if any(outcome is None for outcome in outcomes):
        what = joined([f"the {attribute} of {s}" for s in subjects])
        asked = context or f"The user asks for the {attribute} of {subjects[0]}. "
        return Step(f"{asked}I'll look up {what} with lookup_fact.", tuple(calls))
    sentences = [
        _sentence(outcome, question.detail)
        for outcome in outcomes
        if outcome is not None
    ]
    return Answer(
        "lookup_fact has answered everything I asked, so I can reply.",
        " ".join(sentences),
    )


def _about(request: Request, subject: str) -> Plan:
    """ "Tell me about Peru": its capital first, which says what Peru is, then
    its population (a country or city) or its moons (a planet)."""
    first = request.outcome(0)
    if first is None:
        return Step(
            f"The user wants to know about {subject}. I'll start with its capital, "
            "which also tells me whether it is a country, a city or a planet.",
            (request.call(0, "lookup_fact", subject=subject, attribute="capital"),),
        )
    if first.error is not None:
        return Answer(
            f"lookup_fact knows nothing about {subject}.", _sentence(first, "")
        )
    kind = first.result.get("kind")
    more = "population" if kind in ("country", "city") else "moons"
    second = request.outcome(1)
    if second is None:
        return Step(
            f"{first.result['subject']} is a {kind}, so its {more} is worth telling too.",
            (request.call(1, "lookup_fact", subject=subject, attribute=more),),
        )
    return Answer(
        f"I have what lookup_fact knows about {subject}.",
        f"{_sentence(first, '')} {_sentence(second, '')}",
    )


def _resolve(referent: dict[str, Any], attribute: str) -> tuple[list[str], str]:
    """Whom a follow-up's "it" means, and a thought saying so."""
    subject = referent["subject"]
    if (
        referent["attribute"] == "capital"
        and referent.get("value")
        and attribute == "population"
    ):
        capital = referent["value"]
        return [capital, subject], (
            f"“Its” follows the earlier question about {subject}, whose capital is "
            f"{capital}: it could mean either, so I'll give both. "
        )
    return [subject], f"“Its” refers to {subject}, from earlier in this conversation. "


def _unclear(request: Request, attribute: str) -> Answer:
    if request.had_history:
        why = "nothing earlier in this conversation names a place or planet"
    else:
        why = "I have no earlier messages of this conversation to go on"
    return Answer(
        f"The user asks for a {attribute} without naming what of, and {why}. I must ask.",
        f"I'm not sure what you mean by “it”: {why}. Which country, city or planet "
        "do you mean?",
    )


def _sentence(outcome: Outcome, detail: str) -> str:
    """One fact, in words; `detail` picks what to say about moons."""
    if outcome.error is not None:
        return f"I couldn't look up {outcome.args.get('subject')}: {reason(outcome.error)}."
    fact = outcome.result
    if fact.get("value") is None:
        return fact.get("note", f"I have no {fact['attribute']} for {fact['subject']}.")
    subject, value = fact["subject"], fact["value"]
    match fact["attribute"]:
        case "capital":
            return f"The capital of {subject} is {value}."
        case "population" if fact["kind"] == "city":
            return (
                f"{subject}, the capital of {fact['country']}, has about "
                f"{_people(value)} inhabitants (city proper, {fact['year']})."
            )
        case "population":
            return f"{subject} has a population of about {_people(value)} ({fact['year']})."
        case _:
            return _moons(subject, value, fact.get("named", []), detail)


def _moons(subject: str, count: int, named: list[str], detail: str) -> str:
    if count and named and detail == "largest":
        return f"The largest moon of {subject} is {named[0]}."
    if count > len(named) and named and detail == "names":
        return f"{subject} has {count} known moons; the largest are {joined(named)}."
    if count == 0:
        return f"{subject} has no moons."
    if count == 1:
        return f"{subject} has one moon: {named[0] if named else 'unnamed'}."
    if len(named) == count:
        return f"{subject} has {count} moons: {joined(named)}."
    return (
        f"{subject} has {count} known moons; the largest include {joined(named[:4])}."
    )


def _people(value: int) -> str:
    if value >= 1_000_000_000:
        return f"{value / 1e9:.2f} billion"
    if value >= 1_000_000:
        return f"{value / 1e6:.1f} million"
    return f"{value:,}"
