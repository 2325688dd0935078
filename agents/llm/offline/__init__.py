"""The bundled offline model: deterministic, no key, no network, fast.

It really plans: each turn it reads the conversation, explains its next step as
reasoning (shown as a thought), then asks for tool calls or writes the answer
word by word. It handles arithmetic, facts with follow-ups, and memory through
state tools, each only when the agent offered the tools for it; anything else
gets a helpful answer naming what it can do. Being stateless, it knows only
what the messages tell it, so sessions can never leak into each other.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from agents.llm.base import (
    ChatMessage,
    ModelChunk,
    ReasoningChunk,
    TextChunk,
    ToolSpec,
    UsageChunk,
)
from agents.llm.offline import arithmetic, facts, generic, memory
from agents.llm.offline.plan import Answer, Plan, Request, Step, read_request

# Most specific first: "what is my favourite colour" is memory, not a fact.
SKILLS = (memory.plan, arithmetic.plan, facts.plan)

_WORD = re.compile(r"\S+\s*")


def decide(request: Request) -> Plan:
    """The next step for this request: the first skill that recognises it."""
    for skill in SKILLS:
        if (plan := skill(request)) is not None:
            return plan
    return generic.plan(request)


class OfflineModel:
    """A `Model` that plans with rules instead of weights."""

    name = "offline"

    async def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
    ) -> AsyncIterator[ModelChunk]:
        plan = decide(read_request(messages, tools))
        words = _WORD.findall(plan.thought)
        for start in range(0, len(words), 4):
            yield ReasoningChunk("".join(words[start : start + 4]))
            await asyncio.sleep(0)
        written = len(words)
        match plan:
            case Step(calls=calls):
                for call in calls:
                    yield call
                    written += len(_WORD.findall(str(call.args))) + 1
            case Answer(text=text):
                for word in _WORD.findall(text):
                    yield TextChunk(word)
                    written += 1
                    await asyncio.sleep(0)
        read = sum(len(_WORD.findall(message.content)) for message in messages)
        yield UsageChunk(input_tokens=read, output_tokens=written)
