"""Bad input gets a clear 4xx or a `rejected` frame and leaves nothing behind:
the shapes a hostile user turned into 500s and dropped sockets."""

import json

import pytest
from django.test import AsyncClient

from conversations.models import ChatSession
from tests.conversations.wsclient import open_socket
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = "[" * 100_000 + "]" * 100_000
UNSTORABLE = pytest.mark.parametrize(
    "text", ["lone \ud800 surrogate", "nul \x00 inside"], ids=["surrogate", "nul"]
)


def auth(token: str) -> dict:
    return {"Authorization": f"Token {token}"}


async def post_raw(path: str, body: str | bytes, token: str):
    return await AsyncClient().post(
        path, body, content_type="application/json", headers=auth(token)
    )


@pytest.mark.parametrize(
    "path",
    ["/chat", "/api/sessions/", "/api/sessions/{id}/messages/", "/api/agui/"],
    ids=["chat", "sessions", "messages", "agui"],
)
async def test_deeply_nested_json_is_a_400_on_every_json_endpoint(
    alice, alice_token, path
):
    session = await anew_session(alice)
    response = await post_raw(path.format(id=session.id), DEEP, alice_token)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


async def test_deeply_nested_json_frame_is_rejected_and_the_socket_stays(
    alice, alice_token
):
    session = await anew_session(alice)
    ws, _ = await open_socket(session.id, alice_token)
    await ws.send_to(text_data="[" * 30_000 + "]" * 30_000)
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "rejected" and reply["code"] == "bad_request"
    await ws.send_json_to({"type": "cancel"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "not_found"
    await ws.disconnect()


@pytest.mark.parametrize("cursor", ["cD14", "cD0yMDI2LTAyLTMw", "bz0tMQ=="])
async def test_tampered_session_list_cursor_is_a_400(alice_token, cursor):
    response = await AsyncClient().get(
        f"/api/sessions/?cursor={cursor}", headers=auth(alice_token)
    )
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"].lower()


@pytest.mark.parametrize("value", ["²", "١٢", "-1", "1e3", "9" * 30])
async def test_non_ascii_or_huge_stream_cursors_are_a_400(alice, alice_token, value):
    session = await anew_session(alice)
    url = f"/api/sessions/{session.id}/stream/"
    by_query = await AsyncClient().get(url, {"after": value}, headers=auth(alice_token))
    as_sent = value.encode().decode("latin-1")  # the UTF-8 bytes of a real client
    by_header = await AsyncClient().get(
        url, headers={**auth(alice_token), "Last-Event-ID": as_sent}
    )
    assert by_query.status_code == by_header.status_code == 400


async def test_non_ascii_digit_seq_in_the_feedback_path_is_a_404(alice, alice_token):
    session = await anew_session(alice)
    response = await AsyncClient().put(
        f"/api/sessions/{session.id}/events/²/feedback/",
        {"rating": 1},
        content_type="application/json",
        headers=auth(alice_token),
    )
    assert response.status_code == 404


@UNSTORABLE
async def test_unstorable_text_is_a_400_and_leaves_no_session_behind(
    alice, alice_token, text
):
    body = json.dumps({"message": text})  # escapes keep the bad code points
    response = await post_raw("/chat", body, alice_token)
    assert response.status_code == 400
    assert "cannot be stored" in response.json()["detail"]
    assert not await ChatSession.objects.filter(owner=alice).aexists()
    session = await anew_session(alice)
    rest = await post_raw(
        f"/api/sessions/{session.id}/messages/", json.dumps({"text": text}), alice_token
    )
    assert rest.status_code == 400
    renamed = await AsyncClient().patch(
        f"/api/sessions/{session.id}/",
        json.dumps({"title": text}),
        content_type="application/json",
        headers=auth(alice_token),
    )
    assert renamed.status_code == 400


@UNSTORABLE
async def test_unstorable_text_over_agui_is_a_400_and_leaves_no_thread(
    alice, alice_token, text
):
    body = {
        "threadId": "0b9e4a4e-8f1c-4a57-9a43-2f5c1f0e9d11",
        "runId": "r",
        "messages": [{"id": "m", "role": "user", "content": text}],
    }
    response = await post_raw("/api/agui/", json.dumps(body), alice_token)
    assert response.status_code == 400
    assert "cannot be stored" in response.json()["detail"]
    assert not await ChatSession.objects.filter(owner=alice).aexists()


@UNSTORABLE
async def test_unstorable_text_over_websocket_is_rejected_not_a_1011(
    alice, alice_token, text
):
    session = await anew_session(alice)
    ws, _ = await open_socket(session.id, alice_token)
    await ws.send_to(text_data=json.dumps({"type": "message", "text": text}))
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "rejected" and reply["code"] == "bad_request"
    await ws.disconnect()


async def test_failed_chat_post_leaves_no_empty_session(alice, alice_token):
    for body in ['{"message": ""}', "[]", "{nope", '{"message": "hi", "agent": "x"}']:
        response = await post_raw("/chat", body, alice_token)
        assert response.status_code == 400, body
    assert not await ChatSession.objects.filter(owner=alice).aexists()


async def test_unknown_agent_on_chat_is_a_400_and_a_known_one_is_used(
    alice, alice_token
):
    refused = await post_raw("/chat", '{"message": "hi", "agent": "nope"}', alice_token)
    assert refused.status_code == 400
    assert "'agent' must be one of" in refused.json()["detail"]
    accepted = await post_raw(
        "/chat", '{"message": "add 2 and 2", "agent": "math"}', alice_token
    )
    assert accepted.status_code == 200
    session = await ChatSession.objects.aget(pk=accepted["X-Session-Id"])
    assert session.agent == "math"
    async for _ in accepted.streaming_content:
        pass


@pytest.mark.parametrize("path", ["/chat", "/api/sessions/", "/api/agui/"])
async def test_body_over_the_upload_limit_is_a_json_413(alice_token, path, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = await post_raw(path, json.dumps({"message": "x" * 2000}), alice_token)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than 1000 bytes" in response.json()["detail"]
