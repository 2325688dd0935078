"""Server-Sent Events: the article's `POST /chat` and a session's resumable stream."""

import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient

from conversations.agent_factory import agent_names
from conversations.engine.service import submit_message, wait_for_run
from conversations.layer import session_group
from conversations.models import ChatSession, Event, Run
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)


def parse(chunks: list[str]) -> list[dict]:
    """SSE text into events: {"id", "event", "data"} (comments kept as "comment")."""
    events = []
    for block in "".join(chunks).split("\n\n"):
        if not block.strip():
            continue
        if block.startswith(":"):
            events.append({"comment": block[1:].strip()})
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        fields["data"] = json.loads(fields["data"])
        events.append(fields)
    return events


async def read_until(response, predicate, limit: int = 500) -> list[dict]:
    chunks: list[str] = []
    async for chunk in response.streaming_content:
        chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        events = parse(chunks)
        if events and predicate(events[-1]):
            return events
        assert len(chunks) < limit
    return parse(chunks)


def token_header(key: str) -> dict:
    return {"Authorization": f"Token {key}"}


def is_finished(event: dict) -> bool:
    return event.get("event") == "run_finished"


async def test_post_chat_creates_a_session_and_streams_the_run_step_by_step(
    alice_token,
):
    response = await AsyncClient().post(
        "/chat",
        {"message": "add 2 and 2"},
        content_type="application/json",
        headers=token_header(alice_token),
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    session_id = response["X-Session-Id"]
    events = await read_until(response, is_finished)
    stored = [e for e in events if "id" in e]
    assert [int(e["id"]) for e in stored] == list(range(1, len(stored) + 1))
    assert stored[0]["event"] == "user_message"
    assert all(e["data"]["session"] == session_id for e in stored)
    assert {"thought", "tool_call", "tool_result", "final"} <= {
        e["event"] for e in stored
    }
    assert (
        "4" in next(e for e in stored if e["event"] == "final")["data"]["data"]["text"]
    )


async def test_post_chat_continues_a_named_session_with_its_context(alice, alice_token):
    session = await anew_session(alice, "geo")
    for message in ["What is the capital of France?", "And what is its population?"]:
        response = await AsyncClient().post(
            "/chat",
            {"message": message, "session_id": str(session.id)},
            "application/json",
            headers=token_header(alice_token),
        )
        events = await read_until(response, is_finished)
    answer = next(e for e in events if e.get("event") == "final")["data"]["data"][
        "text"
    ]
    assert "Paris" in answer or "France" in answer


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        ('["a list"]', 400),
        ('{"message": ""}', 400),
        ('{"message": 5}', 400),
        ('{"message": "hi", "session_id": 7}', 400),
        ('{"message": "hi", "session_id": "not-a-uuid"}', 404),
    ],
)
async def test_post_chat_bad_input_gets_a_clear_4xx(alice_token, body, status):
    response = await AsyncClient().post(
        "/chat",
        body,
        content_type="application/json",
        headers=token_header(alice_token),
    )
    assert response.status_code == status
    assert json.loads(response.content)["detail"]


async def test_post_chat_runs_a_new_session_with_the_named_agent(alice, alice_token):
    response = await AsyncClient().post(
        "/chat",
        {"message": "What is the capital of France?", "agent": "geo"},
        "application/json",
        headers=token_header(alice_token),
    )
    assert response.status_code == 200
    events = await read_until(response, is_finished)
    session = await ChatSession.objects.aget(pk=response["X-Session-Id"])
    assert session.agent == "geo"
    assert (
        "Paris"
        in next(e for e in events if e.get("event") == "final")["data"]["data"]["text"]
    )


@pytest.mark.parametrize("agent", ["nope", ["math"], "", "x" * 65])
async def test_post_chat_refuses_an_agent_the_rest_api_refuses(
    alice, alice_token, agent
):
    """One rule for both ways in: what `POST /api/sessions/` says about the name,
    `POST /chat` says too, with the known names, and creates nothing."""
    rest = await AsyncClient().post(
        "/api/sessions/",
        {"agent": agent},
        "application/json",
        headers=token_header(alice_token),
    )
    assert rest.status_code == 400
    response = await AsyncClient().post(
        "/chat",
        {"message": "hi", "agent": agent},
        "application/json",
        headers=token_header(alice_token),
    )
    assert response.status_code == 400
    detail = json.loads(response.content)["detail"]
    assert all(reason in detail for reason in rest.json()["errors"]["agent"])
    assert f"'agent' must be one of: {', '.join(agent_names())}." in detail
    assert not await ChatSession.objects.filter(owner=alice).aexists()


async def test_post_chat_needs_authentication_and_ownership(alice, bob_token):
    assert (
        await AsyncClient().post("/chat", {"message": "hi"}, "application/json")
    ).status_code == 401
    session = await anew_session(alice, "geo")
    response = await AsyncClient().post(
        "/chat",
        {"message": "hi", "session_id": str(session.id)},
        "application/json",
        headers=token_header(bob_token),
    )
    assert response.status_code == 404


async def test_post_chat_with_a_session_cookie_requires_csrf(alice):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(alice)
    response = await client.post("/chat", {"message": "hi"}, "application/json")
    assert response.status_code == 403


async def test_post_chat_while_a_run_is_active_is_a_conflict(
    alice, alice_token, test_agents
):
    session = await anew_session(alice, "slow")
    admission = await submit_message(session.id, "slow", "talk")
    response = await AsyncClient().post(
        "/chat",
        {"message": "again", "session_id": str(session.id)},
        "application/json",
        headers=token_header(alice_token),
    )
    assert response.status_code == 409
    from conversations.engine.service import cancel_active_run

    await cancel_active_run(session.id, "alice")
    await wait_for_run(admission.run_id)


async def test_session_stream_replays_after_last_event_id_then_continues_live(
    alice, alice_token
):
    session = await anew_session(alice, "math")
    first = await submit_message(session.id, "math", "add 2 and 2")
    await wait_for_run(first.run_id)
    response = await AsyncClient().get(
        f"/api/sessions/{session.id}/stream/",
        headers={**token_header(alice_token), "Last-Event-ID": "3"},
    )
    assert response.status_code == 200
    replayed = await read_until(response, is_finished)
    assert int(replayed[0]["id"]) == 4
    second = await submit_message(session.id, "math", "add 3 and 3")
    live = await read_until(response, is_finished)
    seqs = [int(e["id"]) for e in replayed + live if "id" in e]
    assert seqs == list(range(4, len(seqs) + 4))
    assert live[-1]["data"]["run"] == str(second.run_id)
    await response.streaming_content.aclose()


@pytest.mark.parametrize("query", ["?after=-1", "?after=x"])
async def test_session_stream_rejects_a_bad_cursor(alice_session, alice_token, query):
    response = await AsyncClient().get(
        f"/api/sessions/{alice_session.id}/stream/{query}",
        headers=token_header(alice_token),
    )
    assert response.status_code == 400


async def test_session_stream_of_another_user_is_not_found(alice_session, bob_token):
    response = await AsyncClient().get(
        f"/api/sessions/{alice_session.id}/stream/", headers=token_header(bob_token)
    )
    assert response.status_code == 404
    anonymous = await AsyncClient().get(f"/api/sessions/{alice_session.id}/stream/")
    assert anonymous.status_code == 401


async def test_idle_stream_sends_keep_alive_comments(
    alice_session, alice_token, settings
):
    settings.SSE_HEARTBEAT_SECONDS = 0.1
    response = await AsyncClient().get(
        f"/api/sessions/{alice_session.id}/stream/", headers=token_header(alice_token)
    )
    events = await read_until(response, lambda e: "comment" in e)
    assert events[-1] == {"comment": "keep-alive"}
    await response.streaming_content.aclose()


async def test_a_chat_client_that_goes_away_stops_watching_and_the_run_finishes(
    alice, alice_token, test_agents, in_memory_layer
):
    """Through Django's ASGI handler, as daphne drives it: `http.disconnect`
    mid-stream cancels the view's generator, which leaves the session's group; the
    run is the engine's, not the client's, so it still ends and is stored whole."""
    session = await anew_session(alice, "slow")
    body = json.dumps({"message": "talk", "session_id": str(session.id)}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/chat",
        "query_string": b"",
        "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Token {alice_token}".encode()),
            (b"content-type", b"application/json"),
        ],
    }
    client = ApplicationCommunicator(ASGIHandler(), scope)
    await client.send_input({"type": "http.request", "body": body})
    assert (await client.receive_output(5))["status"] == 200
    first = (await client.receive_output(5))["body"].decode()
    assert "event: user_message" in first
    group = session_group(session.id)
    assert in_memory_layer.groups.get(group)  # watching while the run streams

    await client.send_input({"type": "http.disconnect"})
    await client.wait(5)
    assert not in_memory_layer.groups.get(group)
    run = await Run.objects.aget(session=session)
    assert run.status == Run.Status.RUNNING  # the client left mid-run
    await wait_for_run(run.id)
    await run.arefresh_from_db()
    assert run.status == Run.Status.SUCCEEDED
    final = await Event.objects.for_session(session.id).aget(type="final")
    assert final.data["text"].startswith("word0 ")
