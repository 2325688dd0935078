"""`POST /api/agui/` and its resumable stream, through Django's ASGI handler:
the events' names and shapes, brackets closed, interrupts and resume, bad input.
The official client's own checks of the same streams: test_official_client.py."""

import json
import uuid

import pytest
from django.test import AsyncClient

from conversations.models import Approval, ChatSession, Event, Run
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)


def parse(text: str) -> list[dict]:
    """SSE text into frames: {"id", "event"} (keep-alive comments left out)."""
    frames = []
    for block in text.split("\n\n"):
        if not block.strip() or block.startswith(":"):
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        frames.append({"id": fields.get("id"), "event": json.loads(fields["data"])})
    return frames


async def read_all(response) -> list[dict]:
    chunks = []
    async for chunk in response.streaming_content:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    return parse("".join(chunks))


def run_input(thread: str, text: str | None = "add 2 and 2", **more) -> dict:
    messages = [] if text is None else [{"id": "m1", "role": "user", "content": text}]
    return {"threadId": thread, "runId": "r1", "messages": messages, **more}


async def post(token: str, body, **headers):
    payload = body if isinstance(body, str) else json.dumps(body)
    return await AsyncClient().post(
        "/api/agui/",
        payload,
        content_type="application/json",
        headers={"Authorization": f"Token {token}", **headers},
    )


def types(frames: list[dict]) -> list[str]:
    return [f["event"]["type"] for f in frames]


def assert_brackets_closed(frames: list[dict]) -> None:
    """Every START has its END, in order, before the run's last event."""
    open_ = set()
    for event in (f["event"] for f in frames):
        kind, _, phase = event["type"].rpartition("_")
        key = event.get("messageId") or event.get("toolCallId")
        if phase == "START" and kind:
            assert (kind, key) not in open_, event
            open_.add((kind, key))
        elif phase == "END" and kind:
            open_.remove((kind, key))
    assert not open_


async def test_a_tool_run_streams_as_agui_events(alice_token):
    thread = str(uuid.uuid4())
    response = await post(alice_token, run_input(thread))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    frames = await read_all(response)

    seen = types(frames)
    assert seen[:2] == ["RUN_STARTED", "STATE_SNAPSHOT"]
    assert seen[-1] == "RUN_FINISHED"
    assert frames[-1]["event"]["outcome"] == {"type": "success"}
    for construct in ["TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END"]:
        assert construct in seen
    assert "TOOL_CALL_RESULT" in seen and "REASONING_MESSAGE_CONTENT" in seen
    answer = "".join(
        e["event"]["delta"]
        for e in frames
        if e["event"]["type"] == "TEXT_MESSAGE_CONTENT"
    )
    assert "4" in answer
    assert_brackets_closed(frames)
    started = frames[0]["event"]
    run = await Run.objects.aget(session_id=thread)
    assert started["threadId"] == thread and started["runId"] == str(run.pk)
    assert frames[-1]["event"]["usage"][0]["totalTokens"] >= 0
    # Every frame has an id; ids never go back.
    seqs = [int(f["id"].partition(".")[0]) for f in frames]
    assert seqs == sorted(seqs)
    # The thread is ours now, with the message under the sender's id.
    session = await ChatSession.objects.aget(pk=thread)
    first = await Event.objects.aget(session=session, seq=1)
    assert first.data == {"text": "add 2 and 2", "client_id": "m1"}


async def test_the_server_keeps_the_history_and_takes_the_newest_user_message(
    alice_token,
):
    thread = str(uuid.uuid4())
    await read_all(
        await post(
            alice_token,
            run_input(
                thread,
                "What is the capital of France?",
                forwardedProps={"agent": "geo"},
            ),
        )
    )
    follow_up = run_input(thread, "And what is its population?")
    follow_up["messages"] = [
        {"id": "m1", "role": "user", "content": "What is the capital of France?"},
        {"id": "x", "role": "assistant", "content": "Paris."},
        {"id": "m2", "role": "user", "content": "And what is its population?"},
    ]
    frames = await read_all(await post(alice_token, follow_up))
    answer = "".join(
        f["event"]["delta"]
        for f in frames
        if f["event"]["type"] == "TEXT_MESSAGE_CONTENT"
    )
    assert "population" in answer.lower() or "million" in answer.lower()
    assert await Run.objects.filter(session_id=thread).acount() == 2


async def test_an_approval_ends_the_stream_with_an_interrupt_and_resume_decides_it(
    alice_token,
):
    thread = str(uuid.uuid4())
    body = run_input(
        thread, "Save a note: call the bank", forwardedProps={"agent": "notes"}
    )
    frames = await read_all(await post(alice_token, body))
    finished = frames[-1]["event"]
    assert finished["type"] == "RUN_FINISHED"
    assert finished["outcome"]["type"] == "interrupt"
    (interrupt,) = finished["outcome"]["interrupts"]
    approval = await Approval.objects.aget(session_id=thread)
    assert interrupt["id"] == str(approval.pk)
    assert interrupt["toolCallId"] == approval.call_id
    assert interrupt["reason"] == "tool_approval"
    assert_brackets_closed(frames)

    resume = run_input(
        thread,
        None,
        resume=[
            {
                "interruptId": interrupt["id"],
                "status": "resolved",
                "payload": {"decision": "approve"},
            }
        ],
    )
    frames = await read_all(await post(alice_token, resume))
    assert types(frames)[0] == "RUN_STARTED"
    assert frames[0]["event"]["runId"] == finished["runId"]
    results = [f["event"] for f in frames if f["event"]["type"] == "TOOL_CALL_RESULT"]
    assert [r["toolCallId"] for r in results] == [approval.call_id]
    assert frames[-1]["event"]["outcome"] == {"type": "success"}

    again = await post(alice_token, resume)
    assert again.status_code == 409
    assert "not pending" in json.loads(again.content)["detail"]


async def test_a_cancelled_interrupt_rejects_the_call(alice_token):
    thread = str(uuid.uuid4())
    body = run_input(thread, "Save a note: buy milk", forwardedProps={"agent": "notes"})
    frames = await read_all(await post(alice_token, body))
    interrupt = frames[-1]["event"]["outcome"]["interrupts"][0]
    resume = run_input(
        thread, None, resume=[{"interruptId": interrupt["id"], "status": "cancelled"}]
    )
    frames = await read_all(await post(alice_token, resume))
    results = [f["event"] for f in frames if f["event"]["type"] == "TOOL_CALL_RESULT"]
    assert results[0]["metadata"]["code"] == "rejected"
    approval = await Approval.objects.aget(session_id=thread)
    assert approval.status == Approval.Status.REJECTED


async def test_a_stream_resumed_after_an_id_continues_with_nothing_repeated(
    alice, alice_token
):
    thread = str(uuid.uuid4())
    whole = await read_all(await post(alice_token, run_input(thread)))
    cut = next(i for i, f in enumerate(whole) if f["event"]["type"] == "TOOL_CALL_END")
    last_id = whole[cut]["id"]

    response = await AsyncClient().get(
        f"/api/agui/{thread}/stream/",
        headers={"Authorization": f"Token {alice_token}", "Last-Event-ID": last_id},
    )
    assert response.status_code == 200
    rest = await read_all(response)
    assert types(rest)[:3] == ["RUN_STARTED", "MESSAGES_SNAPSHOT", "STATE_SNAPSHOT"]
    snapshot = rest[1]["event"]["messages"]
    assert snapshot[0] == {"id": "m1", "role": "user", "content": "add 2 and 2"}
    assert any(m.get("toolCalls") for m in snapshot)  # the call made before the cut
    # After the snapshots: exactly what the whole stream had after the cut,
    # the answer stored whole rather than as the deltas the cut stream saw.
    after = [f["event"] for f in rest[3:]]
    before_ids = {f["id"] for f in whole[: cut + 1]}
    assert not {f["id"] for f in rest[3:]} & before_ids
    assert [e["type"] for e in after if e["type"].startswith("TOOL_CALL")] == [
        e["event"]["type"]
        for e in whole[cut + 1 :]
        if e["event"]["type"].startswith("TOOL_CALL")
    ]
    assert after[-1]["type"] == "RUN_FINISHED"
    assert_brackets_closed(rest)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "JSON"),
        ('["a list"]', "RunAgentInput"),
        ({"threadId": 5, "runId": "r", "messages": []}, "threadId"),
        ({"threadId": "t", "runId": "r", "messages": []}, "threadId"),
        ({"threadId": str(uuid.uuid4()), "runId": "r"}, "messages"),
        (run_input(str(uuid.uuid4()), None), "no user message"),
        (run_input(str(uuid.uuid4()), ""), "content"),
        (run_input(str(uuid.uuid4()), forwardedProps={"agent": "nope"}), "agent"),
        (run_input(str(uuid.uuid4()), forwardedProps=[1]), "forwardedProps"),
        (
            run_input(
                str(uuid.uuid4()),
                None,
                resume=[{"interruptId": "x", "status": "resolved"}],
            ),
            "interruptId",
        ),
    ],
)
async def test_bad_input_gets_a_4xx_with_the_reason_and_stores_nothing(
    alice_token, body, reason
):
    response = await post(alice_token, body)
    assert response.status_code == 400
    assert reason in json.loads(response.content)["detail"]
    assert not await ChatSession.objects.aexists()


async def test_another_users_thread_is_not_found(alice, bob_token):
    session = await anew_session(alice, "assistant")
    response = await post(bob_token, run_input(str(session.id)))
    assert response.status_code == 404
    stream = await AsyncClient().get(
        f"/api/agui/{session.id}/stream/",
        headers={"Authorization": f"Token {bob_token}"},
    )
    assert stream.status_code == 404
    assert not await Event.objects.filter(session=session).aexists()


async def test_a_resume_for_an_interrupt_that_is_not_pending_is_refused(
    alice, alice_token
):
    session = await anew_session(alice, "notes")
    body = run_input(
        str(session.id),
        None,
        resume=[
            {"interruptId": str(uuid.uuid4()), "status": "resolved", "payload": True}
        ],
    )
    response = await post(alice_token, body)
    assert response.status_code == 400
    assert "No interrupt" in json.loads(response.content)["detail"]


async def test_a_thread_with_nothing_running_has_no_stream_to_join(alice, alice_token):
    session = await anew_session(alice, "assistant")
    response = await AsyncClient().get(
        f"/api/agui/{session.id}/stream/",
        headers={"Authorization": f"Token {alice_token}"},
    )
    assert response.status_code == 204


async def test_unauthenticated_callers_are_refused(db):
    response = await AsyncClient().post(
        "/api/agui/",
        json.dumps(run_input(str(uuid.uuid4()))),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)


async def test_session_state_streams_as_json_patch_and_opens_the_next_run(
    alice_token, test_agents
):
    thread = str(uuid.uuid4())
    writes = [
        {"scope": "session", "changes": {"a": 1, "b/c": 2}},
        {"scope": "session", "changes": {"a": None, "never": None}},
        {"scope": "user", "changes": {"u": 1}},
    ]
    body = run_input(
        thread, json.dumps(writes), forwardedProps={"agent": "state-writer"}
    )
    frames = await read_all(await post(alice_token, body))
    patches = [
        f["event"]["delta"] for f in frames if f["event"]["type"] == "STATE_DELTA"
    ]
    assert patches == [
        [
            {"op": "add", "path": "/a", "value": 1},
            {"op": "add", "path": "/b~1c", "value": 2},
        ],
        [{"op": "remove", "path": "/a"}],  # the key that never was: no op
    ]
    custom = [f["event"] for f in frames if f["event"]["type"] == "CUSTOM"]
    assert [c["name"] for c in custom] == ["agentsite.state_delta"]
    assert custom[0]["value"]["scope"] == "user"

    again = run_input(thread, "[]")
    again["messages"][0]["id"] = "m2"
    frames = await read_all(await post(alice_token, again))
    assert frames[1]["event"] == {"type": "STATE_SNAPSHOT", "snapshot": {"b/c": 2}}


async def test_a_resume_that_answers_some_interrupts_ends_again_with_the_rest(
    alice_token, test_agents, tmp_path, monkeypatch
):
    monkeypatch.setenv("SIDE_EFFECT_FILE", str(tmp_path / "effects"))
    thread = str(uuid.uuid4())
    body = run_input(thread, "one & two", forwardedProps={"agent": "gated"})
    frames = await read_all(await post(alice_token, body))
    first, second = frames[-1]["event"]["outcome"]["interrupts"]

    def answer(interrupt: dict) -> dict:
        entry = {"interruptId": interrupt["id"], "status": "resolved", "payload": True}
        return run_input(thread, None, resume=[entry])

    frames = await read_all(await post(alice_token, answer(first)))
    outcome = frames[-1]["event"]["outcome"]
    assert outcome["type"] == "interrupt"
    assert [i["id"] for i in outcome["interrupts"]] == [second["id"]]

    frames = await read_all(await post(alice_token, answer(second)))
    assert frames[-1]["event"]["outcome"] == {"type": "success"}
    assert (tmp_path / "effects").read_text().split() == ["one", "two"]


async def test_a_resume_with_one_bad_entry_decides_none(alice_token, test_agents):
    thread = str(uuid.uuid4())
    body = run_input(thread, "one & two", forwardedProps={"agent": "gated"})
    frames = await read_all(await post(alice_token, body))
    first, _ = frames[-1]["event"]["outcome"]["interrupts"]
    resume = run_input(
        thread,
        None,
        resume=[
            {"interruptId": first["id"], "status": "resolved", "payload": True},
            {"interruptId": str(uuid.uuid4()), "status": "resolved", "payload": True},
        ],
    )
    response = await post(alice_token, resume)
    assert response.status_code == 400
    statuses = {a.status async for a in Approval.objects.filter(session_id=thread)}
    assert statuses == {Approval.Status.PENDING}
    assert not await Event.objects.filter(
        session_id=thread, type="approval_resolved"
    ).aexists()


async def test_a_thread_deleted_mid_run_ends_its_stream_with_run_error(
    alice_token, test_agents
):
    from channels.db import database_sync_to_async

    from conversations.engine.service import delete_session

    thread = str(uuid.uuid4())
    response = await post(
        alice_token, run_input(thread, "go", forwardedProps={"agent": "slow"})
    )
    chunks, deleted = [], False
    async for chunk in response.streaming_content:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if not deleted and "TEXT_MESSAGE_CONTENT" in chunks[-1]:
            deleted = await database_sync_to_async(delete_session)(thread)
    frames = parse("".join(chunks))
    assert frames[-1]["event"]["type"] == "RUN_ERROR"
    assert frames[-1]["event"]["code"] == "session_deleted"
    assert_brackets_closed(frames)  # the answer cut short is closed first


async def test_a_second_stream_joins_a_run_mid_answer_and_gets_the_answer_whole(
    alice_token, test_agents
):
    thread = str(uuid.uuid4())
    first = await post(
        alice_token, run_input(thread, "go", forwardedProps={"agent": "slow"})
    )
    chunks = []
    async for chunk in first.streaming_content:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        if "TEXT_MESSAGE_CONTENT" in chunks[-1]:
            break  # the answer is being written
    joined = await AsyncClient().get(
        f"/api/agui/{thread}/stream/", headers={"Authorization": f"Token {alice_token}"}
    )
    assert joined.status_code == 200
    frames = await read_all(joined)
    assert types(frames)[:3] == ["RUN_STARTED", "MESSAGES_SNAPSHOT", "STATE_SNAPSHOT"]
    assert frames[1]["event"]["messages"] == [
        {"id": "m1", "role": "user", "content": "go"}
    ]
    text = [f["event"] for f in frames if f["event"]["type"].startswith("TEXT_MESSAGE")]
    assert [e["type"] for e in text] == [
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
    ]
    assert text[1]["delta"] == " ".join(f"word{n}" for n in range(40)) + " "
    assert frames[-1]["event"]["outcome"] == {"type": "success"}
    async for _ in first.streaming_content:
        pass
