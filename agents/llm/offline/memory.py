"""The offline model remembers things about the user through state tools."""

from __future__ import annotations

import re
from dataclasses import replace

from agents.llm.offline.generic import what_i_can_do
from agents.llm.offline.plan import Answer, Plan, Request, Step, reason

_NOTE = r"(?:please\s+)?(?:remember|note|keep\s+in\s+mind|don't\s+forget)"
_REMEMBER = (
    # "Remember that my favourite colour is green."
    re.compile(
        rf"^{_NOTE}(?:\s+that|\s*:)?\s+my\s+(?P<key>.+?)\s+(?:is|are)\s+(?P<value>.+?)[.!\s]*$",
        re.I,
    ),
    # "My dog's name is Rex, remember that." and plainly "My name is Alice."
    re.compile(
        r"^my\s+(?P<key>[\w' ]+?)\s+(?:is|are)\s+(?P<value>[^?]+?)"
        rf"(?:[,.;!]?\s*{_NOTE}(?:\s+(?:that|it|this))?)?[.!\s]*$",
        re.I,
    ),
)
_RECALL = (
    re.compile(
        r"^(?:what(?:'s|\s+is|\s+was|\s+are|\s+were)|do\s+you\s+(?:still\s+)?"
        r"(?:remember|know)|tell\s+me|remind\s+me(?:\s+of)?|what\s+did\s+i\s+"
        r"(?:say|tell\s+you)(?:\s+was)?)\s+my\s+(?P<key>.+?)(?:\s+(?:is|was|are))?"
        r"[?.!\s]*$",
        re.I,
    ),
    re.compile(r"^who\s+am\s+i(?P<key>)[?.!\s]*$", re.I),
)


def _first(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.match(text))), None)


def plan(request: Request) -> Plan | None:
    if (found := _planned(request)) is not None:
        return replace(found, topic="memory")
    return None


def _planned(request: Request) -> Plan | None:
    text = request.text.strip().replace("\u2019", "'")
    if match := _first(_REMEMBER, text):
        tool, key, value = "remember", match["key"], match["value"]
        call = request.call(0, tool, key=key, value=value)
        thought = (
            f"The user wants me to remember their {key}. I'll keep it in user "
            "state with remember, so it is there in their other conversations too."
        )
    elif match := _first(_RECALL, text):
        tool, key = "recall", match["key"] or "name"
        call = request.call(0, tool, key=key)
        thought = (
            f"The user asks for their {key}. Things I remember live in user "
            "state, so I'll check with recall."
        )
    else:
        return None
    if tool not in request.tools:
        return Answer(
            f"The user wants me to {tool} something, but I have no {tool} tool.",
            f"I can't {tool} things here: I have no memory. {what_i_can_do(request)}",
        )
    outcome = request.outcome(0)
    if outcome is None:
        return Step(thought, (call,))
    if outcome.error is not None:
        return Answer(
            f"{tool} failed: {outcome.error}. I'll tell the user.",
            f"Sorry, I couldn't {tool} your {key}: {reason(outcome.error)}.",
        )
    value = (outcome.result or {}).get("value")
    if tool == "remember":
        return Answer(
            f"Stored {key} = {value}. I can confirm.",
            f"Got it: I'll remember that your {key} is {value}.",
        )
    if value is None:
        return Answer(
            f"recall found nothing for {key}: the user never told me.",
            f"I don't know your {key} yet. Tell me with “remember that my {key} "
            "is …” and I'll keep it for next time.",
        )
    return Answer(f"recall says the {key} is {value}.", f"Your {key} is {value}.")
