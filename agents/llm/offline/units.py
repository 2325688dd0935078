"""The offline model converts units with the `convert` tool.

"Convert 5 miles to km", "100 °F in celsius", "how many feet in 3 metres":
the units are the ones the tool knows, by the names it accepts, so the model
recognises exactly what the tool can do.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agents.llm.offline.generic import what_i_can_do
from agents.llm.offline.plan import Answer, Plan, Request, Step, number, reason
from agents.toolbox.units import UNIT_NAMES

_UNIT = "|".join(
    re.escape(name).replace(r"\ ", r"\s+")
    for name in sorted(UNIT_NAMES, key=len, reverse=True)
)
_QUANTITY = (
    rf"(?P<value>-?\d+(?:\.\d+)?|an?)\s*(?:degrees?\s+)?°?\s*(?P<source>{_UNIT})"
)
_ASKS = (
    re.compile(
        rf"^(?:convert\s+|change\s+|turn\s+)?{_QUANTITY}\s+(?:to|in|into|as|in\s+to)\s+"
        rf"(?:degrees?\s+)?°?(?P<target>{_UNIT})$"
    ),
    re.compile(
        rf"^how\s+many\s+(?P<target>{_UNIT})\s+(?:are\s+)?(?:there\s+)?"
        rf"(?:is|are|in|make|makes|to)\s+{_QUANTITY}$"
    ),
)
_FILLER = re.compile(
    r"^(?:what\s+is|what's|whats|how\s+much\s+is|please|can\s+you|could\s+you|and|now)\s+"
)


def _asked(text: str) -> tuple[float, str, str] | None:
    phrase = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower().strip())
    phrase = re.sub(r"[?!.\s]+$", "", phrase)
    while match := _FILLER.match(phrase):
        phrase = phrase[match.end() :]
    for pattern in _ASKS:
        if match := pattern.match(phrase):
            raw = match["value"]
            value = 1 if raw in ("a", "an") else float(raw) if "." in raw else int(raw)
            return value, match["source"], match["target"]
    return None


def plan(request: Request) -> Plan | None:
    asked = _asked(request.text)
    if asked is None:
        return None
    return replace(_converted(request, *asked), topic="units")


def _converted(request: Request, value: float, source: str, target: str) -> Plan:
    quantity = f"{number(value)} {source}"
    if "convert" not in request.tools:
        return Answer(
            f"This is a unit conversion ({quantity} to {target}), but I have no convert tool.",
            f"I can't convert units here. {what_i_can_do(request)}",
        )
    outcome = request.outcome(0)
    if outcome is None:
        return Step(
            f"The user wants {quantity} in {target}. I'll ask the convert tool.",
            (
                request.call(
                    0, "convert", value=value, from_unit=source, to_unit=target
                ),
            ),
        )
    if outcome.error is not None:
        return Answer(
            f"convert refused: {outcome.error}. I'll tell the user.",
            f"I can't convert {quantity} to {target}: {reason(outcome.error)}.",
        )
    result, given = outcome.result, outcome.result["from"]
    return Answer(
        "convert has answered, so I can reply.",
        f"{number(given['value'])} {given['unit']} is {_rounded(result['value'])} "
        f"{result['unit']}.",
    )


def _rounded(value: float) -> str:
    """At most three decimals: 8.04672 -> 8.047, 37.7777 -> 37.778."""
    return number(round(value, 3)) if abs(value) >= 0.001 else f"{value:.3g}"
