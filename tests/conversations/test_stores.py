"""The ORM stores behind the agent framework's protocols."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from agents.events import Final, RunFinished, ToolCall, ToolResult
from agents.stores import StateNamespace
from conversations.engine.storage import write_batch
from conversations.stores import OrmStateStore, TranscriptHistoryStore

pytestmark = pytest.mark.django_db(transaction=True)

awrite_batch = database_sync_to_async(write_batch)


def user_ns(user_id) -> StateNamespace:
    return StateNamespace("user", "math", str(user_id), None)


async def test_history_is_earlier_runs_each_after_its_message_without_bookkeeping(
    alice_session,
):
    """A message queued while a run streams is stored mid-run, yet the model must
    read the earlier run whole, then the queued message."""
    from channels.db import database_sync_to_async

    from agents.events import UserMessage
    from conversations.engine.admission import admit_message

    admit = database_sync_to_async(admit_message)
    first = await admit(alice_session.id, "add 2 and 2", None, "enqueue", 60)
    await awrite_batch(
        alice_session.id, first.run_id, [ToolCall("c1", "add", {"a": 2, "b": 2})]
    )
    second = await admit(alice_session.id, "and 3 and 3?", None, "enqueue", 60)
    await awrite_batch(
        alice_session.id,
        first.run_id,
        [ToolResult("c1", "add", 4, 1.5), Final("4"), RunFinished("succeeded", 3.0)],
    )
    third = await admit(alice_session.id, "thanks", None, "enqueue", 60)
    history = await TranscriptHistoryStore(before_seq=third.seq).load(
        str(alice_session.id)
    )
    assert history == [
        UserMessage("add 2 and 2"),
        ToolCall("c1", "add", {"a": 2, "b": 2}),
        ToolResult("c1", "add", 4, 1.5),
        Final("4"),
        UserMessage("and 3 and 3?"),
    ]
    only_first = await TranscriptHistoryStore(before_seq=second.seq).load(
        str(alice_session.id)
    )
    assert only_first == history[:4]


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
