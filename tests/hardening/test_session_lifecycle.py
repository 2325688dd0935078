"""A session's counter, deletion and recovery under a running run: renaming or
deleting a chat while it streams must not break it, or anyone else's."""

import asyncio
import json

import pytest
from django.test import AsyncClient
from django.utils import timezone

from conversations.engine.service import recover_stale_runs_sync, wait_for_run
from conversations.models import ChatSession, Event, Run
from tests.conversations.wsclient import open_socket, receive_until
from tests.factories import anew_session, new_session

pytestmark = pytest.mark.django_db(transaction=True)


def auth(token: str) -> dict:
    return {"Authorization": f"Token {token}"}


async def post_json(path: str, body: dict, token: str):
    return await AsyncClient().post(
        path, body, content_type="application/json", headers=auth(token)
    )


def is_finished(frame: dict) -> bool:
    return frame.get("type") == "run_finished"


async def test_renaming_a_chat_while_its_run_streams_keeps_the_run_and_the_chat_whole(
    alice, alice_token, test_agents
):
    session = await anew_session(alice, "flood")
    ws, _ = await open_socket(session.id, alice_token)
    await ws.send_json_to({"type": "message", "text": "flood"})
    ack = (await receive_until(ws, lambda f: f.get("type") == "ack"))[-1]
    renames = 0
    deadline = asyncio.get_running_loop().time() + 30
    while not await Run.objects.filter(
        pk=ack["run"], finished_at__isnull=False
    ).aexists():
        assert asyncio.get_running_loop().time() < deadline, "the run never finished"
        # Each rename reads the row while the run appends events to it.
        response = await AsyncClient().patch(
            f"/api/sessions/{session.id}/",
            json.dumps({"title": f"renamed {renames}"}),
            content_type="application/json",
            headers=auth(alice_token),
        )
        assert response.status_code == 200
        renames += 1
    run = await Run.objects.aget(pk=ack["run"])
    assert run.status == "succeeded", run.error
    await ws.send_json_to({"type": "message", "text": "flood"})
    again = await receive_until(ws, lambda f: f.get("type") in {"ack", "rejected"})
    assert again[-1]["type"] == "ack"
    await wait_for_run(again[-1]["run"])
    seqs = [
        seq
        async for seq in Event.objects.for_session(session.id)
        .order_by("seq")
        .values_list("seq", flat=True)
    ]
    assert seqs == list(range(1, len(seqs) + 1))
    assert renames > 0
    await ws.disconnect()


def test_no_save_of_a_session_moves_its_seq_counter(alice):
    session = new_session(alice)
    stale = ChatSession.objects.get(pk=session.pk)
    ChatSession.objects.filter(pk=session.pk).update(last_seq=7)
    stale.title = "renamed"
    stale.save()
    stale.review_notes = "seen"
    stale.save(update_fields=["review_notes", "last_seq"])
    fresh = ChatSession.objects.get(pk=session.pk)
    assert (fresh.last_seq, fresh.title, fresh.review_notes) == (7, "renamed", "seen")


def test_a_run_that_cannot_be_recovered_does_not_stop_the_sweep(
    alice, bob, monkeypatch
):
    from conversations.engine import service

    long_ago = timezone.now() - timezone.timedelta(minutes=5)
    runs = [
        Run.objects.create(
            session=new_session(owner),
            status=Run.Status.RUNNING,
            message="hi",
            started_at=long_ago,
            heartbeat_at=long_ago,
        )
        for owner in (alice, bob)
    ]
    real = service.interrupt_run

    def interrupt_failing_for_alice(run_id, reason):
        if run_id == runs[0].id:
            raise RuntimeError("this run's session is broken")
        return real(run_id, reason)

    monkeypatch.setattr(service, "interrupt_run", interrupt_failing_for_alice)
    recovered = recover_stale_runs_sync(stale_after=1)
    assert [session_id for session_id, _ in recovered] == [runs[1].session_id]
    assert Run.objects.get(pk=runs[1].id).status == "interrupted"


async def test_deleting_a_session_during_a_run_stops_it_and_tells_its_watchers(
    alice, alice_token, test_agents, settings
):
    settings.SSE_HEARTBEAT_SECONDS = 0.5
    session = await anew_session(alice, "slow")
    ws, _ = await open_socket(session.id, alice_token)
    await ws.send_json_to({"type": "message", "text": "talk"})
    ack = await receive_until(ws, lambda f: f.get("type") == "ack")
    await receive_until(ws, lambda f: f.get("type") == "delta")
    stream = await AsyncClient().get(
        f"/api/sessions/{session.id}/stream/", headers=auth(alice_token)
    )
    chunks = aiter(stream.streaming_content)
    assert b"user_message" in await anext(chunks)  # watching before the delete
    response = await AsyncClient().delete(
        f"/api/sessions/{session.id}/", headers=auth(alice_token)
    )
    assert response.status_code == 204
    closed = None
    while closed is None:  # frames already on their way may come first
        message = await ws.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            closed = message
    assert closed["code"] == 4404
    async with asyncio.timeout(10):  # the stream ends instead of waiting for ever
        async for _ in chunks:
            pass
    async with asyncio.timeout(10):
        await wait_for_run(ack[-1]["run"])
    assert not await ChatSession.objects.filter(pk=session.id).aexists()
    assert not await Event.objects.filter(session_id=session.id).aexists()


async def test_one_message_limit_counts_every_way_in(alice, alice_token, settings):
    settings.MESSAGE_RATE = "4/min"
    sessions = [await anew_session(alice, "math") for _ in range(3)]
    sockets = [(await open_socket(s.id, alice_token))[0] for s in sessions[:2]]
    replies = []
    for ws in sockets:  # two sockets, one message each
        await ws.send_json_to({"type": "message", "text": "add 2 and 2"})
        replies.append(
            (await receive_until(ws, lambda f: f["type"] in {"ack", "rejected"}))[-1]
        )
    chat = await post_json("/chat", {"message": "add 1 and 1"}, alice_token)
    async for _ in chat.streaming_content:
        pass
    rest = await post_json(
        f"/api/sessions/{sessions[2].id}/messages/",
        {"text": "add 3 and 3"},
        alice_token,
    )
    assert [r["type"] for r in replies] == ["ack", "ack"]
    assert (chat.status_code, rest.status_code) == (200, 202)
    over = await post_json("/chat", {"message": "one too many"}, alice_token)
    assert over.status_code == 429
    assert int(over["Retry-After"]) >= 1
    fresh, _ = await open_socket(
        sessions[0].id, alice_token
    )  # reconnecting resets nothing
    await fresh.send_json_to({"type": "message", "text": "add 5 and 5"})
    reply = await receive_until(fresh, lambda f: f["type"] in {"ack", "rejected"})
    assert reply[-1]["code"] == "rate_limited"
    for ws in [*sockets, fresh]:
        await ws.disconnect()


async def test_a_limit_that_cannot_be_counted_lets_messages_through(settings):
    """Redis down must not take messages down with it: the limit fails open."""
    from conversations.ratelimit import message_limit

    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    settings.MESSAGE_RATE = "1/min"
    limit = message_limit()
    assert limit.hit("alice") is None
    assert limit.hit("alice") is None
    assert await limit.ahit("alice") is None
