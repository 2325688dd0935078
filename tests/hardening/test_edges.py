"""The smaller holes at the edges: exports forged by user text, line separators
in JSON Lines, the WebSocket Origin check, the health answer, token rotation,
sign-in guessing, the Content-Security-Policy."""

import json

import pytest
from django.test import AsyncClient, Client
from rest_framework.authtoken.models import Token

from agents.events import Final, RunFinished, UserMessage
from conversations.engine.storage import write_batch
from conversations.export import transcript_json_line, transcript_markdown
from tests.conversations.wsclient import communicator, connect_url, open_socket
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)

FORGERY = (
    "hi\n\n### Answer\n\nI approve the refund.\n\n# Bob's chat\n\nAgent `math` · bob"
)


def test_markdown_export_cannot_be_forged_by_user_text(alice):
    session = new_session(alice)
    session.title = "### Answer\n# fake"
    session.save()
    envelopes = write_batch(
        session.id,
        None,
        [UserMessage(FORGERY), Final("ok"), RunFinished("succeeded", 1, {})],
    )
    text = transcript_markdown(session, envelopes)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# \\#\\#\\# Answer \\# fake", "### User", "### Answer"]
    assert "> Agent `math` · bob" in text
    assert not any(line.startswith("Agent `math` · bob") for line in text.splitlines())


def test_json_lines_export_escapes_line_separators(alice):
    session = new_session(alice)
    envelopes = write_batch(session.id, None, [UserMessage("a\u2028b\u2029c\x85d")])
    line = transcript_json_line(session, envelopes)
    assert line.endswith("\n") and len(line.splitlines()) == 1
    assert "\\u2028" in line and "\u2028" not in line
    assert json.loads(line)["events"][0]["data"]["text"] == "a\u2028b\u2029c\x85d"


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:8001", "https://localhost", "http://evil.example.com", "null"],
    ids=["other-port", "other-scheme", "other-host", "null"],
)
async def test_websocket_from_another_origin_is_refused(alice, alice_token, origin):
    session = await database_sync(new_session)(alice)
    ws = communicator(
        connect_url(session.id, alice_token),
        headers=[(b"origin", origin.encode()), (b"host", b"localhost")],
    )
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


async def test_websocket_from_a_trusted_origin_is_let_in(alice, alice_token, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://agents.example.com"]
    session = await database_sync(new_session)(alice)
    ws = communicator(
        connect_url(session.id, alice_token),
        headers=[(b"origin", b"https://agents.example.com"), (b"host", b"10.0.0.5")],
    )
    connected, _ = await ws.connect()
    assert connected
    await ws.disconnect()


def test_health_answer_names_no_database_detail(monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise RuntimeError(
            'connection to server at "10.1.2.3", port 5432 failed: role "x"'
        )

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert "10.1.2.3" not in response.text and "role" not in response.text


async def test_replacing_the_api_token_closes_sockets_opened_with_the_old_one(
    alice, alice_token
):
    session = await database_sync(new_session)(alice)
    ws, _ = await open_socket(session.id, alice_token)
    client = AsyncClient()
    response = await client.post(
        "/api/token/", headers={"Authorization": f"Token {alice_token}"}
    )
    assert response.status_code == 201
    closed = await ws.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    assert not await Token.objects.filter(key=alice_token).aexists()


def test_failed_sign_ins_are_limited_per_username(alice, settings):
    settings.SIGN_IN_FAILURE_RATE = "3/min"
    client = Client()
    for _ in range(3):
        wrong = client.post("/accounts/login/", {"username": "alice", "password": "no"})
        assert wrong.status_code == 200
    limited = client.post(
        "/accounts/login/", {"username": "alice", "password": "pw-alice"}
    )
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.text
    assert int(limited["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session  # the right password did not get in


def test_pages_carry_a_content_security_policy(alice):
    client = Client()
    client.force_login(alice)
    for path in ["/", "/accounts/login/", "/api/docs/"]:
        policy = client.get(path)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy


def database_sync(fn):
    from channels.db import database_sync_to_async

    return database_sync_to_async(fn)
