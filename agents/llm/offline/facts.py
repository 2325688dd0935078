"""The offline model answers fact questions with `lookup_fact`, follow-ups included.

"And what is its population?" names no subject: the model takes it from the
last fact looked up earlier in *this* conversation (the messages it was given),
so two sessions never mix, and an agent without history says it cannot tell.
After a capital was looked up, "its" may mean the capital or the country: the
model looks up both.
"""

from __future__ import annotations

import re
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
    "they",
    "them",
}
_SUBJECT = (
    re.compile(
        r"(?:\bof|\bin|\bdoes|\bdo|\bfor|\babout|\bhas)\s+(?P<subject>[^?!.]+?)(?:\s+(?:have|has|got))?$",
        re.I,
    ),
    re.compile(
        r"^(?:what\s+is\s+|what's\s+)?(?P<subject>[^?!.]+?)'s\s+(?:capital|population|moons?)\b",
        re.I,
    ),
)


def _attribute(text: str) -> str | None:
    if "capital" in text:
        return "capital"
    if "population" in text or "how many people" in text or "inhabitants" in text:
        return "population"
    if re.search(r"\bmoons?\b", text):
        return "moons"
    return None


def _question(request: Request) -> tuple[str, str | None] | None:
    """(attribute, subject or None for "it") of a fact question."""
    text = re.sub(r"[?!.\s]+$", "", request.text.replace("\u2019", "'")).strip()
    attribute = _attribute(text.lower())
    about = re.fullmatch(
        r"(?:and\s+)?(?:what|how)\s+about\s+(?P<subject>.+)", text, re.I
    )
    if attribute is None and about:
        # "What about Germany?" asks the previous question of a new subject.
        last = _last_fact(request.history)
        return None if last is None else (last["attribute"], about["subject"])
    if attribute is None:
        return None
    for pattern in _SUBJECT:
        if match := pattern.search(text):
            subject = re.sub(r"^the\s+", "", match["subject"].strip(), flags=re.I)
            return attribute, None if subject.lower() in _PRONOUNS else subject
    return attribute, None


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
    question = _question(request)
    if question is None:
        return None
    attribute, subject = question
    if "lookup_fact" not in request.tools:
        return Answer(
            f"This asks for a {attribute}, but I have no lookup_fact tool.",
            f"I can't look facts up here. {what_i_can_do(request.tools)}",
        )
    if subject is not None:
        subjects, context = [subject], ""
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
    sentences = [_sentence(outcome) for outcome in outcomes if outcome is not None]
    return Answer(
        "lookup_fact has answered everything I asked, so I can reply.",
        " ".join(sentences),
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


def _sentence(outcome: Outcome) -> str:
    """One fact, in words."""
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
            return _moons(subject, value, fact.get("named", []))


def _moons(subject: str, count: int, named: list[str]) -> str:
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
