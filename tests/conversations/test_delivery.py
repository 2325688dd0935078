"""Every watcher gets every stored event once, in order, whatever the layer loses."""

import pytest
from channels.db import database_sync_to_async

from agents.events import Info
from conversations.delivery import SeqCursor
from conversations.engine.storage import write_batch
from conversations.layer import publish_frames
from tests.conversations.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)

awrite_batch = database_sync_to_async(write_batch)


async def flat(pages) -> list[dict]:
    """The frames of a cursor's pages, in order."""
    return [frame async for page in pages for frame in page]


async def store_and_publish(session_id, count: int, per_batch: int = 1) -> None:
    """What the run engine does: store a batch, then publish it."""
    for start in range(0, count, per_batch):
        batch = [Info(f"step {n}") for n in range(start, min(start + per_batch, count))]
        await publish_frames(session_id, await awrite_batch(session_id, None, batch))


async def test_cursor_refills_a_gap_from_the_database(alice_session):
    frames = await awrite_batch(
        alice_session.id, None, [Info(str(n)) for n in range(5)]
    )
    cursor = SeqCursor(alice_session.id, sent=0)
    out = await flat(cursor.accept([frames[0], frames[3], frames[4], frames[2]]))
    assert [f["seq"] for f in out] == [1, 2, 3, 4, 5]
    assert cursor.sent == 5


async def test_cursor_passes_deltas_and_drops_repeats(alice_session):
    frames = await awrite_batch(alice_session.id, None, [Info("a")])
    cursor = SeqCursor(alice_session.id, sent=0)
    delta = {"type": "delta", "run": None, "data": {"text": "x"}}
    assert await flat(cursor.accept([frames[0], delta, frames[0]])) == [
        frames[0],
        delta,
    ]


async def test_tail_check_leaves_news_still_on_its_way_to_the_layer(alice_session):
    cursor = SeqCursor(alice_session.id, sent=0)
    frames = await awrite_batch(alice_session.id, None, [Info("a"), Info("b")])
    assert await cursor.catch_up() == []  # stored, but its news may yet come
    assert cursor.behind
    assert [f["seq"] for f in await flat(cursor.accept(frames))] == [1, 2]
    assert not cursor.behind
    assert await cursor.catch_up() == []


async def test_tail_check_refills_a_lost_tail_at_the_next_check(alice_session):
    cursor = SeqCursor(alice_session.id, sent=0)
    await awrite_batch(alice_session.id, None, [Info("a"), Info("b")])
    assert await cursor.catch_up() == []
    assert [f["seq"] for f in await cursor.catch_up()] == [1, 2]
    assert not cursor.behind


@pytest.fixture
def lossy_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "tests.conversations.lossy_layer.LossyInMemoryChannelLayer",
            "CONFIG": {"drop_every": 3},
        }
    }


async def test_socket_receives_every_seq_although_the_layer_drops_messages(
    lossy_layer, alice_session, alice_token
):
    ws, _ = await open_socket(alice_session.id, alice_token)
    await store_and_publish(alice_session.id, 60)
    seqs = []
    while len(seqs) < 60:
        frame = await ws.receive_json_from(timeout=5)
        seqs.append(frame["seq"])
    assert seqs == list(range(1, 61))
    await ws.disconnect()


async def test_resume_replays_after_cursor_then_continues_live_without_duplicates(
    alice_session, alice_token
):
    await store_and_publish(alice_session.id, 10, per_batch=5)
    ws, hello = await open_socket(alice_session.id, alice_token, after=4)
    assert hello["last_seq"] == 10
    await store_and_publish(alice_session.id, 5)
    seqs = [(await ws.receive_json_from(timeout=5))["seq"] for _ in range(11)]
    assert seqs == list(range(5, 16))
    await ws.send_json_to({"type": "resume", "after": 13})
    assert [(await ws.receive_json_from(timeout=5))["seq"] for _ in range(2)] == [
        14,
        15,
    ]
    assert await ws.receive_nothing(timeout=0.2)
    await ws.disconnect()
