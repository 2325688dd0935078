"""Runs through the WebSocket: acks, isolation, policies, resume, tabs, cancel."""

import asyncio

import pytest

from conversations.engine.service import wait_for_run
from conversations.models import Event
from tests.conversations.wsclient import open_socket, receive_until
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)


def is_finished(frame: dict) -> bool:
    return frame.get("type") == "run_finished"


def stored_seqs(frames: list[dict]) -> list[int]:
    return [f["seq"] for f in frames if "seq" in f]


async def ask(ws, text: str, client_id: str | None = None) -> dict:
    """Send a message; return its ack (frames before the ack are not expected)."""
    frame = {"type": "message", "text": text}
    if client_id:
        frame["client_id"] = client_id
    await ws.send_json_to(frame)
    ack = await ws.receive_json_from(timeout=5)
    assert ack["type"] == "ack", ack
    return ack


async def test_message_is_acked_then_streams_every_step_to_run_finished(
    alice, alice_token
):
    session = await anew_session(alice, "math")
    ws, _ = await open_socket(session.id, alice_token)
    ack = await ask(ws, "add 2 and 2", client_id="c-1")
    assert ack["client_id"] == "c-1" and ack["seq"] == 1
    frames = await receive_until(ws, is_finished)
    types = [f["type"] for f in frames if "seq" in f]
    assert types[0] == "user_message" and types[1] == "run_started"
    assert {"thought", "tool_call", "tool_result", "final"} <= set(types)
    assert stored_seqs(frames) == list(range(1, len(stored_seqs(frames)) + 1))
    assert all(f["run"] == ack["run"] for f in frames)
    final = next(f for f in frames if f["type"] == "final")
    assert "4" in final["data"]["text"]
    assert any(f["type"] == "delta" for f in frames)
    await ws.disconnect()


async def test_alice_and_bob_streaming_at_once_see_only_their_own_events(
    alice, bob, alice_token, bob_token
):
    alice_session = await anew_session(alice, "geo")
    bob_session = await anew_session(bob, "geo")
    alice_ws, _ = await open_socket(alice_session.id, alice_token)
    bob_ws, _ = await open_socket(bob_session.id, bob_token)
    await ask(alice_ws, "What is the capital of France?")
    await ask(bob_ws, "How many moons does Mars have?")
    alice_frames, bob_frames = await asyncio.gather(
        receive_until(alice_ws, is_finished), receive_until(bob_ws, is_finished)
    )
    assert {f.get("session") for f in alice_frames if "seq" in f} == {
        str(alice_session.id)
    }
    assert {f.get("session") for f in bob_frames if "seq" in f} == {str(bob_session.id)}
    assert "Mars" not in str(alice_frames) and "France" not in str(bob_frames)
    await ask(alice_ws, "And what is its population?")
    follow_up = await receive_until(alice_ws, is_finished)
    answer = next(f for f in follow_up if f["type"] == "final")["data"]["text"]
    assert "Paris" in answer or "France" in answer
    await alice_ws.disconnect()
    await bob_ws.disconnect()


async def test_repeated_client_id_gets_the_original_ack_and_starts_nothing(
    alice, alice_token
):
    session = await anew_session(alice, "math")
    ws, _ = await open_socket(session.id, alice_token)
    first = await ask(ws, "add 2 and 2", client_id="same")
    await receive_until(ws, is_finished)
    again = await ask(ws, "add 2 and 2", client_id="same")
    assert again == first
    assert await ws.receive_nothing(timeout=0.3)
    assert (
        await Event.objects.filter(session=session, type="user_message").acount() == 1
    )
    await ws.disconnect()


async def test_message_during_a_run_is_rejected_and_the_socket_keeps_working(
    alice, alice_token, test_agents
):
    session = await anew_session(alice, "slow")
    ws, _ = await open_socket(session.id, alice_token)
    await ask(ws, "talk")
    await ws.send_json_to({"type": "message", "text": "again"})
    frames = await receive_until(ws, lambda f: f["type"] == "rejected")
    assert frames[-1]["code"] == "run_in_progress"
    await ws.send_json_to({"type": "cancel"})
    frames = await receive_until(ws, is_finished)
    assert frames[-1]["data"]["status"] == "cancelled"
    await ws.disconnect()


async def test_too_many_messages_a_minute_are_rate_limited(
    alice, alice_token, test_agents, settings
):
    settings.MESSAGE_RATE = "5/min"
    session = await anew_session(alice, "slow")
    ws, _ = await open_socket(session.id, alice_token)
    for n in range(5 + 1):
        await ws.send_json_to({"type": "message", "text": f"m{n}"})
    frames = await receive_until(ws, lambda f: f.get("code") == "rate_limited", wait=10)
    assert frames[-1]["type"] == "rejected"
    await ws.send_json_to({"type": "cancel"})
    await receive_until(ws, is_finished)
    await ws.disconnect()


async def test_run_keeps_going_after_the_socket_that_started_it_closes(
    alice, alice_token
):
    session = await anew_session(alice, "math")
    ws, _ = await open_socket(session.id, alice_token)
    ack = await ask(ws, "what is (3 + 4) * 5?")
    await ws.disconnect()
    await wait_for_run(ack["run"])
    final = await Event.objects.aget(session=session, type="final")
    assert "35" in final.data["text"]


async def test_resume_after_a_dropped_socket_mid_run_gives_every_seq_exactly_once(
    alice, alice_token, settings
):
    settings.AGENT_STEP_DELAY = 0.15
    session = await anew_session(alice, "math")
    ws, _ = await open_socket(session.id, alice_token)
    ack = await ask(ws, "what is ((3 + 4) * 5) - 6?")
    first = [await ws.receive_json_from(timeout=5) for _ in range(3)]
    await ws.disconnect()
    last_seen = max(stored_seqs(first))
    ws2, _ = await open_socket(session.id, alice_token, after=last_seen)
    second = await receive_until(ws2, is_finished)
    await wait_for_run(ack["run"])
    received = stored_seqs(first) + stored_seqs(second)
    total = await Event.objects.filter(session=session).acount()
    assert sorted(received) == received == list(range(1, total + 1))
    await ws2.disconnect()


async def test_second_tab_follows_the_run_live(alice, alice_token):
    session = await anew_session(alice, "math")
    tab1, _ = await open_socket(session.id, alice_token)
    tab2, _ = await open_socket(session.id, alice_token)
    await ask(tab1, "add 2 and 2")
    one, two = await asyncio.gather(
        receive_until(tab1, is_finished), receive_until(tab2, is_finished)
    )
    assert (
        stored_seqs(one)
        == stored_seqs(two)
        == list(range(1, len(stored_seqs(one)) + 1))
    )
    await tab1.disconnect()
    await tab2.disconnect()


async def test_cancel_from_another_tab_stops_the_run(alice, alice_token, test_agents):
    session = await anew_session(alice, "slow")
    tab1, _ = await open_socket(session.id, alice_token)
    tab2, _ = await open_socket(session.id, alice_token)
    await ask(tab1, "talk")
    await asyncio.sleep(0.2)
    await tab2.send_json_to({"type": "cancel"})
    frames = await receive_until(tab1, is_finished)
    assert frames[-1]["data"]["status"] == "cancelled"
    partial = [f for f in frames if f["type"] == "final"]
    assert partial and partial[0]["data"]["partial"] is True
    await tab1.disconnect()
    await tab2.disconnect()
