"""The bundled offline model: deterministic, no key, no network, fast.

It really plans: each turn it reads the conversation, explains its next step as
reasoning (shown as a thought), then asks for tool calls or writes the answer
word by word. It handles arithmetic (percentages, chains, "that"), unit
conversion, facts with follow-ups, memory and notes through state tools, the
time through an MCP time server's tools, each only
when the agent offered the tools for it and its instructions allow the topic;
a message asking several things gets each answered with its own calls.
Anything else gets an honest answer naming what it can do. Being stateless, it
knows only what the messages tell it, so sessions can never leak into each
other. `Pace` makes it stream like a real model, for people watching.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from agents.llm.base import (
    ChatMessage,
    ModelChunk,
    ReasoningChunk,
    TextChunk,
    ToolSpec,
    UsageChunk,
)
from agents.llm.offline import (
    arithmetic,
    clock,
    facts,
    generic,
    memory,
    notes,
    units,
)
from agents.llm.offline.instructions import guidance
from agents.llm.offline.plan import Answer, Outcome, Plan, Request, Step, read_request
from agents.llm.offline.questions import split

# Most specific first: "note down that my code is 4" is a note, "what is my
# favourite colour" memory, not a fact, and "5 miles in km" a conversion.
SKILLS = (
    notes.plan,
    memory.plan,
    clock.plan,
    units.plan,
    arithmetic.plan,
    facts.plan,
)

_WORD = re.compile(r"\S+\s*")
# A question that refers back waits for the questions before it in its message.
_REFERS = re.compile(
    r"\b(?:it|its|that|this|them|their|they|there|the\s+result)\b", re.I
)


def decide(request: Request) -> Plan:
    """The next step: every question of the message planned, then combined."""
    greeted, questions = split(request.text)
    plans: list[Plan] = []
    history = request.history
    for part, text in enumerate(questions):
        asked = request.asking(part, text, history)
        if _REFERS.search(text) and any(isinstance(p, Step) for p in plans):
            continue  # planned once the questions it may refer to are answered
        plans.append(_one(asked))
        history = (*history, *_in_order(asked))
    plan = _combined(plans, len(questions))
    plan = _greeted(plan) if greeted else plan
    return _noted(request, plan)


def _one(request: Request) -> Plan:
    """The plan of one question: the first skill that recognises it."""
    allowed = guidance(request.instructions).allows
    for skill in SKILLS:
        if (plan := skill(request)) is not None:
            return plan if allowed(plan.topic) else generic.decline(request, plan.topic)
    return generic.plan(request)


def _in_order(request: Request) -> tuple[Outcome, ...]:
    return tuple(sorted(request.outcomes(), key=lambda o: o.call_id))


def _combined(plans: list[Plan], asked: int) -> Plan:
    if asked == 1:
        return plans[0]
    steps = [plan for plan in plans if isinstance(plan, Step)]
    if steps:
        return Step(
            " ".join(step.thought for step in steps),
            tuple(call for step in steps for call in step.calls),
        )
    return Answer(
        f"I have an answer to each of the {asked} questions in the message.",
        "\n\n".join(plan.text for plan in plans if isinstance(plan, Answer)),
    )


def _greeted(plan: Plan) -> Plan:
    if isinstance(plan, Answer) and not plan.text.startswith("Hello"):
        return Answer(plan.thought, f"Hello! {plan.text}", plan.topic)
    return plan


def _noted(request: Request, plan: Plan) -> Plan:
    """The run's first thought names the instructions the model cannot follow."""
    unfollowed = guidance(request.instructions).unfollowed
    if request.current or not unfollowed:
        return plan
    note = (
        f"My instructions also ask: “{' '.join(unfollowed)}” As the offline model "
        "I cannot do that, so I answer plainly. "
    )
    if isinstance(plan, Step):
        return Step(note + plan.thought, plan.calls, plan.topic)
    return Answer(note + plan.thought, plan.text, plan.topic)


@dataclass(frozen=True)
class Pace:
    """How fast the model streams: `think` seconds before each turn's reasoning,
    then `words_per_second` for reasoning and answer (0: as fast as possible)."""

    think: float = 0.0
    words_per_second: float = 0.0

    async def pause(self) -> None:
        await asyncio.sleep(self.think)

    async def word(self) -> None:
        await asyncio.sleep(1 / self.words_per_second if self.words_per_second else 0)


FULL_SPEED = Pace()


class OfflineModel:
    """A `Model` that plans with rules instead of weights."""

    name = "offline"
    max_output_tokens = 2048  # words: an answer is cut there

    def __init__(self, pace: Pace = FULL_SPEED) -> None:
        self.pace = pace

    def count_tokens(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> int:
        """The input of a turn as this model counts it: the words it reads."""
        return sum(len(_WORD.findall(message.content)) for message in messages)

    async def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncIterator[ModelChunk]:
        plan = decide(read_request(messages, tools))
        if self.pace.think:
            await self.pace.pause()
        words = _WORD.findall(plan.thought)
        for start in range(0, len(words), 4):
            yield ReasoningChunk("".join(words[start : start + 4]))
            for _ in range(
                min(4, len(words) - start) if self.pace.words_per_second else 1
            ):
                await self.pace.word()
        written = len(words)
        match plan:
            case Step(calls=calls):
                for call in calls:
                    yield call
                    written += len(_WORD.findall(str(call.args))) + 1
            case Answer(text=text):
                for word in _WORD.findall(text)[
                    : max(0, self.max_output_tokens - written)
                ]:
                    yield TextChunk(word)
                    written += 1
                    await self.pace.word()
        yield UsageChunk(self.count_tokens(messages, tools), written)
