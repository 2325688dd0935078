"""The offline model's fallback: greet, decline, or say what it can do.

What it can do names only the tools the agent offers and the topics its
instructions allow. A question nothing here can answer says so and points at
the setting that swaps in a real model, instead of guessing.
"""

from __future__ import annotations

import re

from agents.llm.offline.instructions import guidance
from agents.llm.offline.plan import Answer, Request, joined

MATH = ("add", "subtract", "multiply", "divide", "power", "sqrt")

REAL_MODEL = (
    "For questions like this, point agentsite at a real model: set LLM_BASE_URL, "
    "LLM_API_KEY and LLM_MODEL to any OpenAI-compatible server."
)

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|howdy|good\s+(?:morning|afternoon|evening)|greetings)"
    r"(?:\s+there)?\b[\s!.,]*$",
    re.I,
)
_THANKS = re.compile(
    r"^\s*(?:thanks|thank\s+you|thx|cheers)(?:\s+(?:a\s+lot|so\s+much|very\s+much))?"
    r"[\s!.,]*$",
    re.I,
)
_HELP = re.compile(
    r"\b(?:what\s+can\s+you\s+do|what\s+do\s+you\s+do|help|who\s+are\s+you|"
    r"what\s+are\s+you|how\s+do(?:es)?\s+(?:this|it|you)\s+work)\b",
    re.I,
)


def what_i_can_do(request: Request) -> str:
    """One sentence on what this agent's tools and instructions let it help with."""
    tools, allowed = request.tools, guidance(request.instructions).allows
    skills = []
    if allowed("arithmetic") and (math := [name for name in MATH if name in tools]):
        skills.append(
            f"work out arithmetic step by step with {joined(math)} "
            "(try “what is 17% of 2,340?”)"
        )
    if allowed("units") and "convert" in tools:
        skills.append("convert units (try “convert 5 miles to km”)")
    if "lookup_fact" in tools:
        places = [t for t in ("capital", "population") if allowed(t)]
        if places:
            skills.append(
                f"look up the {' and '.join(f'{t}s' for t in places)} of countries "
                "(try “What is the capital of Peru?”)"
            )
        if allowed("moons"):
            skills.append(
                "tell you the moons of the planets (try “How many moons does Mars have?”)"
            )
    if allowed("time") and any(name.endswith("__get_current_time") for name in tools):
        skills.append("tell the time anywhere (try “What time is it in Tokyo?”)")
    if allowed("memory") and {"remember", "recall"} <= tools:
        skills.append(
            "remember things about you across conversations "
            "(try “remember that my favourite colour is green”)"
        )
    if allowed("notes") and "save_note" in tools:
        skills.append("keep notes for you (try “save a note: call the bank”)")
    if not skills:
        return "I have no tools here, so I can only chat."
    return f"I can {joined(skills)}."


def decline(request: Request, topic: str) -> Answer:
    """A question on a topic the agent's instructions rule out."""
    topics = sorted(guidance(request.instructions).topics or ())
    allowed = joined([_TOPIC_NAMES.get(t, t) for t in topics]) or "nothing my tools do"
    return Answer(
        f"This question is about {_TOPIC_NAMES.get(topic, topic)}, but my "
        f"instructions limit me to {allowed}. I'll decline and say what I can do.",
        f"Sorry, I'm only here to help with {allowed}, so I can't answer that. "
        f"{what_i_can_do(request)}",
        topic=topic,
    )


_TOPIC_NAMES = {
    "capital": "capitals",
    "population": "populations",
    "memory": "remembering things",
    "notes": "your notes",
    "units": "unit conversion",
    "time": "the time",
}


def plan(request: Request) -> Answer:
    """The answer when no skill recognised the message."""
    text = request.text.strip()
    if _GREETING.match(text):
        return Answer(
            "A greeting: I'll say hello and what I can do.",
            f"Hello! {what_i_can_do(request)}",
        )
    if _THANKS.match(text):
        return Answer(
            "The user is thanking me.", "You're welcome! Ask me anything else."
        )
    if _HELP.search(text):
        return Answer(
            "The user asks what I can do.",
            f"I'm the bundled offline model: I understand only what my tools cover. "
            f"{what_i_can_do(request)}",
        )
    return Answer(
        "None of my tools answers this, so I'll say so instead of guessing.",
        f"I can't answer that: I'm the bundled offline model, and none of my tools "
        f"covers it. {what_i_can_do(request)} {REAL_MODEL}",
    )
