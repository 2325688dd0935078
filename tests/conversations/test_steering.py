"""Steering through the engine: a message sent while a run works is stored as
that run's `user_message` and taken at its next step; one that arrives as the
run answers starts the next run; none is lost or taken twice."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from conversations.engine.admission import SteeringRefused
from conversations.engine.service import submit_message, wait_for_run
from conversations.export import transcript_markdown
from conversations.models import Run, Steer
from tests.api.test_messages import Script
from tests.conversations.test_engine import stored, wait_until
from tests.conversations.wsclient import open_socket, receive_until
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)


async def first_tool_call_stored(session_id) -> bool:
    return any(e["type"] == "tool_call" for e in await stored(session_id))


def finals(envelopes: list[dict]) -> list[str]:
    return [e["data"]["text"] for e in envelopes if e["type"] == "final"]


async def test_a_steering_message_joins_the_working_run_at_its_next_step(
    alice, test_agents
):
    session = await anew_session(alice, "steered")
    first = await submit_message(session.id, "steered", "count the sheep", "c1")
    await wait_until(lambda: first_tool_call_stored(session.id))
    steer = await submit_message(session.id, "steered", "only the black ones", "c2")
    assert steer.steered and steer.run_id == first.run_id
    assert steer.status == "running"
    await wait_for_run(first.run_id)

    envelopes = await stored(session.id)
    message = next(e for e in envelopes if e["seq"] == steer.seq)
    assert message["type"] == "user_message"
    assert message["run"] == str(first.run_id)
    assert message["data"] == {
        "text": "only the black ones",
        "client_id": "c2",
        "steer": True,
    }
    # The model heard both, in order, and answered once, in the one run.
    assert finals(envelopes) == ["heard: count the sheep | only the black ones"]
    assert await Run.objects.filter(session=session).acount() == 1
    assert [e["type"] for e in envelopes].count("run_finished") == 1
    # The message came after a tool call and before the step that read it.
    calls = [e["seq"] for e in envelopes if e["type"] == "tool_call"]
    assert calls[0] < steer.seq < calls[-1]

    again = await submit_message(session.id, "steered", "only the black ones", "c2")
    assert again.duplicate and (again.run_id, again.seq) == (first.run_id, steer.seq)
    markdown = await database_sync_to_async(transcript_markdown)(session, envelopes)
    assert "### User (while the agent worked)\n\n> only the black ones" in markdown


async def test_steer_on_one_message_overrides_the_agents_policy(alice, test_agents):
    session = await anew_session(alice, "slow")  # policy reject
    first = await submit_message(session.id, "slow", "talk")
    steer = await submit_message(session.id, "slow", "louder", steer=True)
    assert steer.steered and steer.run_id == first.run_id
    await wait_for_run(first.run_id)
    # The slow model answers in one turn: the answer it was writing when the
    # message came was a draft, kept as a thought; it answered again after it.
    envelopes = await stored(session.id)
    kinds = [e["type"] for e in envelopes]
    assert await Run.objects.filter(session=session).acount() == 1
    assert (
        kinds.index("user_message", 1) < kinds.index("thought") < kinds.index("final")
    )
    assert kinds.count("final") == kinds.count("run_finished") == 1


async def test_an_agent_without_steering_refuses_a_steer_message(alice, test_agents):
    session = await anew_session(alice, "unsteerable")
    first = await submit_message(session.id, "unsteerable", "count")
    with pytest.raises(SteeringRefused):
        await submit_message(session.id, "unsteerable", "faster", steer=True)
    await wait_for_run(first.run_id)
    assert await Steer.objects.acount() == 0


async def test_with_no_run_working_a_steer_message_starts_a_run(alice, test_agents):
    session = await anew_session(alice, "quick-steer")
    admission = await submit_message(session.id, "quick-steer", "hello", steer=True)
    assert not admission.steered and admission.spec is not None
    await wait_for_run(admission.run_id)
    envelopes = await stored(session.id)
    assert "steer" not in envelopes[0]["data"]
    assert finals(envelopes) == ["heard: hello"]


@pytest.mark.parametrize("delay", [0.0, 0.001, 0.003, 0.006, 0.01, 0.02])
async def test_a_steer_message_as_the_run_answers_is_taken_once_or_starts_the_next_run(
    alice, test_agents, delay
):
    """The window: the run's last step races the message. Either the run
    takes it (and its answer says so) or the next run answers it; never
    both, never neither."""
    session = await anew_session(alice, "quick-steer")
    first = await submit_message(session.id, "quick-steer", "one")
    await asyncio.sleep(delay)
    second = await submit_message(session.id, "quick-steer", "two")
    await wait_for_run(first.run_id)
    await wait_until(lambda: _all_finished(session.id))
    envelopes = await stored(session.id)
    answers = finals(envelopes)
    taken = await Steer.objects.filter(session=session, taken=True).acount()
    runs = await Run.objects.filter(session=session).acount()
    if second.steered:
        assert second.run_id == first.run_id
        assert (taken, runs) == (1, 1)
        assert answers == ["heard: one | two"]
    else:
        assert (taken, runs) == (0, 2)
        assert answers[0] == "heard: one"
        assert answers[1] == "heard: two"  # these test agents keep no history
    messages = [e for e in envelopes if e["type"] == "user_message"]
    assert [m["data"]["text"] for m in messages] == ["one", "two"]


async def _all_finished(session_id) -> bool:
    @database_sync_to_async
    def check() -> bool:
        return (
            not Run.objects.filter(session_id=session_id)
            .exclude(status__in=Run.FINISHED)
            .exists()
        )

    return await check()


async def test_over_the_socket_a_steer_frame_is_acked_with_the_working_run(
    alice, alice_token, test_agents
):
    session = await anew_session(alice, "slow")
    ws, _ = await open_socket(session.id, alice_token)
    await ws.send_json_to({"type": "message", "text": "talk"})
    first = await ws.receive_json_from(timeout=5)
    await ws.send_json_to({"type": "message", "text": "x", "steer": "yes"})
    assert (await receive_until(ws, is_rejected))[-1]["code"] == "bad_request"
    await ws.send_json_to({"type": "message", "text": "louder", "steer": True})
    frames = await receive_until(ws, lambda f: f.get("type") == "ack")
    assert frames[-1]["run"] == first["run"]
    frames = await receive_until(ws, lambda f: f.get("type") == "run_finished")
    steered = [f for f in frames if f.get("type") == "user_message"]
    assert [(f["data"]["text"], f["data"]["steer"], f["run"]) for f in steered] == [
        ("louder", True, first["run"])
    ]
    await ws.disconnect()


async def test_over_rest_steer_true_joins_the_run_and_a_bad_flag_is_a_400(
    alice, alice_token, test_agents
):
    script = Script(alice_token)
    session = await anew_session(alice, "slow")
    path = f"/api/sessions/{session.id}/messages/"
    first = (await script.post(path, {"text": "talk"})).json()
    steer = await script.post(path, {"text": "louder", "steer": True})
    assert steer.status_code == 202
    assert steer.json()["run"] == first["run"]
    bad = await script.post(path, {"text": "x", "steer": "maybe"})
    assert bad.status_code == 400 and "steer" in bad.json()["errors"]
    await wait_for_run(first["run"])
    unsteerable = await anew_session(alice, "unsteerable")
    path = f"/api/sessions/{unsteerable.id}/messages/"
    running = (await script.post(path, {"text": "count"})).json()
    refused = await script.post(path, {"text": "faster", "steer": True})
    assert refused.status_code == 400 and "steer" in refused.json()["errors"]
    await wait_for_run(running["run"])


def is_rejected(frame: dict) -> bool:
    return frame.get("type") == "rejected"
