"""In-memory stores: isolation by namespace, copies, and atomic updates."""

from __future__ import annotations

import asyncio

import pytest

from agents.events import Final, UserMessage
from agents.stores import (
    HistoryStore,
    InMemoryHistoryStore,
    InMemoryStateStore,
    StateNamespace,
    StateStore,
)

ALICE = StateNamespace("user", "assistant", "alice", None)
BOB = StateNamespace("user", "assistant", "bob", None)


def test_in_memory_stores_implement_the_protocols() -> None:
    assert isinstance(InMemoryHistoryStore(), HistoryStore)
    assert isinstance(InMemoryStateStore(), StateStore)


async def test_history_is_kept_per_session_in_order() -> None:
    store = InMemoryHistoryStore()
    await store.append("a", [UserMessage("hi"), Final("hello")])
    await store.append("b", [UserMessage("other")])
    await store.append("a", [UserMessage("again")])
    assert await store.load("a") == [
        UserMessage("hi"),
        Final("hello"),
        UserMessage("again"),
    ]
    assert await store.load("missing") == []


async def test_state_is_separate_per_namespace_and_none_deletes() -> None:
    store = InMemoryStateStore()
    await store.apply(ALICE, {"colour": "green", "pet": "cat"})
    await store.apply(BOB, {"colour": "blue"})
    await store.apply(ALICE, {"pet": None})
    assert await store.get_all(ALICE) == {"colour": "green"}
    assert await store.get_all(BOB) == {"colour": "blue"}


async def test_values_read_from_the_store_are_copies() -> None:
    store = InMemoryStateStore()
    await store.apply(ALICE, {"list": [1]})
    (await store.get_all(ALICE))["list"].append(2)
    assert await store.get_all(ALICE) == {"list": [1]}


async def test_concurrent_updates_of_one_key_lose_no_write() -> None:
    store = InMemoryStateStore()

    def increment(value: int | None) -> int:
        return (value or 0) + 1

    await asyncio.gather(*(store.update(ALICE, "n", increment) for _ in range(200)))
    assert await store.get_all(ALICE) == {"n": 200}


async def test_temp_state_never_reaches_a_store() -> None:
    with pytest.raises(ValueError, match="temp"):
        await InMemoryStateStore().apply(StateNamespace("temp", "a"), {"x": 1})
