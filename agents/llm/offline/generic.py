"""The offline model's fallback: say what it can do, naming only offered tools."""

from __future__ import annotations

import re

from agents.llm.offline.plan import Answer, Request, joined

MATH = ("add", "subtract", "multiply", "divide", "power", "sqrt")

_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b", re.I)


def what_i_can_do(tools: frozenset[str]) -> str:
    """One sentence on what these tools let the model help with."""
    skills = []
    if math := [name for name in MATH if name in tools]:
        skills.append(
            f"work out arithmetic step by step with {joined(math)} "
            "(try “what is (3 + 4) * 5?”)"
        )
    if "lookup_fact" in tools:
        skills.append(
            "look up capitals and populations of countries and the moons of "
            "planets (try “What is the capital of France?”)"
        )
    if {"remember", "recall"} <= tools:
        skills.append(
            "remember things about you across conversations "
            "(try “remember that my favourite colour is green”)"
        )
    if not skills:
        return "I have no tools here, so I can only chat."
    return f"I can {joined(skills)}."


def plan(request: Request) -> Answer:
    if _GREETING.match(request.text):
        opening = "Hello!"
    else:
        opening = "I'm not sure how to help with that."
    return Answer(
        "This is not something my tools can answer, so I'll say what I can do.",
        f"{opening} {what_i_can_do(request.tools)}",
    )
