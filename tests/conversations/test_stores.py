"""The ORM stores behind the agent framework's protocols."""

import asyncio

import pytest

from agents.events import Final, Info, RunFinished, ToolCall, ToolResult
from agents.stores import StateNamespace
from conversations.engine.storage import write_batch
from conversations.stores import OrmStateStore, TranscriptHistoryStore

pytestmark = pytest.mark.django_db(transaction=True)


def user_ns(user_id) -> StateNamespace:
    return StateNamespace("user", "math", str(user_id), None)


async def test_history_is_the_transcript_before_the_run_without_bookkeeping(
    alice_session,
):
    from channels.db import database_sync_to_async

    events = [
        Info("starting"),
        ToolCall("c1", "add", {"a": 2, "b": 2}),
        ToolResult("c1", "add", 4, 1.5),
        Final("4"),
        RunFinished("succeeded", 3.0),
    ]
    await database_sync_to_async(write_batch)(alice_session.id, None, events)
    history = await TranscriptHistoryStore(before_seq=5).load(str(alice_session.id))
    assert history == [events[1], events[2], events[3]]


async def test_state_apply_sets_and_deletes_keys_per_namespace(alice, bob):
    store = OrmStateStore()
    await store.apply(user_ns(alice.id), {"colour": "green", "n": 1})
    await store.apply(user_ns(bob.id), {"colour": "blue"})
    await store.apply(user_ns(alice.id), {"n": None})
    assert await store.get_all(user_ns(alice.id)) == {"colour": "green"}
    assert await store.get_all(user_ns(bob.id)) == {"colour": "blue"}


async def test_concurrent_updates_of_one_key_lose_no_write(alice):
    store = OrmStateStore()
    ns = user_ns(alice.id)
    await asyncio.gather(
        *(store.update(ns, "counter", lambda v: (v or 0) + 1) for _ in range(20))
    )
    assert await store.get_all(ns) == {"counter": 20}


async def test_session_state_goes_with_its_session(alice_session):
    from conversations.models import AgentState

    store = OrmStateStore()
    ns = StateNamespace("session", "math", None, str(alice_session.id))
    await store.apply(ns, {"x": 1})
    await alice_session.adelete()
    assert not await AgentState.objects.aexists()
