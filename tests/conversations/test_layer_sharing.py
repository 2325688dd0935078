"""The in-memory layer hands every watcher the same published batch, uncopied."""

import json

import pytest

from conversations.layer import publish_frames, session_group

pytestmark = pytest.mark.django_db(transaction=True)


async def test_every_watcher_receives_the_one_published_batch(
    in_memory_layer, alice_session
):
    channels = [await in_memory_layer.new_channel() for _ in range(3)]
    for channel in channels:
        await in_memory_layer.group_add(session_group(alice_session.id), channel)
    envelope = {"session": str(alice_session.id), "seq": 1, "run": None}
    envelope |= {"type": "info", "data": {"text": "hi"}, "ts": "2026-11-25T00:00:00Z"}
    await publish_frames(alice_session.id, [envelope])
    batches = [
        (await in_memory_layer.receive(channel))["frames"] for channel in channels
    ]
    assert batches[0] is batches[1] is batches[2]
    assert [json.loads(frame["json"]) for frame in batches[0]] == [envelope]
