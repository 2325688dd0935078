"""What share of ordinary questions the offline model answers correctly.

`tests/agents/corpus.py` holds what people ask, written blind (without reading
the model), with the tool calls and answer fragments a good answer has. Every
case runs through a shipped agent on the real tools; the ones the model still
gets wrong are listed in `MISSES` and expected to fail, so a fix shows up as an
unexpected pass and a regression as a failure. `docs/offline-model.md` states
the share, and a test keeps it true.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agents.base import BaseAgent
from agents.events import Final, ToolCall
from agents.registry import load_registry
from agents.stores import InMemoryHistoryStore, InMemoryStateStore
from tests.agents.corpus import CASES, Case
from tests.agents.helpers import collect, context

DOC = Path(__file__).resolve().parents[2] / "docs" / "offline-model.md"

# Agents the corpus asks that are a shipped agent with other instructions.
INSTRUCTED = {
    "moons_only": ("assistant", "Answer only questions about moons."),
    "pirate": ("assistant", "Always talk like a pirate."),
}

# Cases the model answers wrongly today, by id, with why.
MISSES: dict[str, str] = {
    "17%-of-2340-then-round-trip-multiply-the-answer-by-100": (
        "a prefix before the request ('round trip:') hides the verb"
    ),
    "tell-me-about-argentina-then-and-its-neighbour-chile": (
        "'its neighbour Chile' is read as one subject"
    ),
}


def case_id(case: Case) -> str:
    """The conversation's words: "capital-of-france-then-and-its-population"."""
    asks = [re.findall(r"[a-z0-9%]+", ask.lower()) for ask in case.asks]
    name = "-then-".join("-".join(words) for words in asks)
    return name if case.agent == "assistant" else f"{case.agent}:{name}"


def build(name: str) -> BaseAgent:
    shipped, instructions = INSTRUCTED.get(name, (name, None))
    agent = load_registry().build(
        shipped, history_store=InMemoryHistoryStore(), state_store=InMemoryStateStore()
    )
    if instructions is not None:
        agent.instructions = instructions
    return agent


def _plain(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"(?<=\d),(?=\d{3})", "", text).lower()


def _same(expected: object, actual: object) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return _plain(expected).strip() == _plain(actual).strip()
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(expected - actual) < 1e-9
    return expected == actual


def problems(case: Case, calls: list[tuple[str, dict]], answer: str) -> list[str]:
    """What is wrong with an answer to `case`; empty when it is right."""
    found = []
    if case.calls:
        if sorted(t for t, _ in case.calls) != sorted(t for t, _ in calls):
            found.append(f"tools {sorted(t for t, _ in calls)}")
        unmatched = list(calls)
        for tool, args in case.calls:
            match = next(
                (
                    c
                    for c in unmatched
                    if c[0] == tool
                    and all(_same(v, c[1].get(k)) for k, v in args.items())
                ),
                None,
            )
            if match is None:
                found.append(f"no call {tool}{args}")
            else:
                unmatched.remove(match)
    elif calls and (case.declines or case.out_of_reach):
        found.append(f"calls {calls} where none were expected")
    text = _plain(answer)
    found += [f"answer lacks {f!r}" for f in case.answer if _plain(f) not in text]
    if case.out_of_reach and "llm_base_url" not in text:
        found.append("out of reach without pointing at the real-model settings")
    if case.declines and not re.search(r"\bi can\b|can't|cannot|sorry", text):
        found.append("a decline that does not say so")
    return found


async def answered(case: Case) -> tuple[list[tuple[str, dict]], str]:
    agent, ctx = build(case.agent), context()
    for message in case.asks:
        events = await collect(agent, message, ctx)
    calls = [(e.tool, e.args) for e in events if isinstance(e, ToolCall)]
    finals = [e.text for e in events if isinstance(e, Final)]
    return calls, finals[-1] if finals else ""


def _graded() -> list[Case]:
    tools = set(load_registry().tools)
    return [c for c in CASES if {t for t, _ in c.calls} <= tools]


GRADED = _graded()


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case_id(case),
            marks=[pytest.mark.xfail(reason=MISSES[case_id(case)], strict=True)]
            if case_id(case) in MISSES
            else [],
        )
        for case in GRADED
    ],
)
async def test_corpus_question_is_answered(case: Case) -> None:
    calls, answer = await answered(case)
    assert problems(case, calls, answer) == [], (calls, answer)


def test_case_ids_are_unique_and_misses_are_cases() -> None:
    ids = [case_id(case) for case in GRADED]
    assert len(ids) == len(set(ids)) >= 200
    assert set(MISSES) <= set(ids)


def test_the_documented_share_is_the_measured_one() -> None:
    right = len(GRADED) - len(MISSES)
    share = f"{right} of {len(GRADED)} ({100 * right / len(GRADED):.0f}%)"
    assert share in DOC.read_text(encoding="utf-8")
