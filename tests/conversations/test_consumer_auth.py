"""Who may open a session's socket: decided before any group or event."""

import pytest
from django.test import Client

from tests.conversations.wsclient import (
    HOST,
    ORIGIN,
    communicator,
    connect_url,
    open_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def refused_with(url: str, headers=None) -> int:
    ws = communicator(url, headers)
    connected, _ = await ws.connect()
    assert connected  # accepted only so that the close code reaches the browser
    output = await ws.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    await ws.disconnect()
    return output["code"]


async def test_anonymous_socket_is_refused_with_4401(alice_session):
    assert await refused_with(connect_url(alice_session.id)) == 4401


async def test_non_owner_cannot_join_session(alice_session, bob_token):
    assert await refused_with(connect_url(alice_session.id, bob_token)) == 4403


async def test_unknown_session_is_refused_with_4404(bob_token):
    import uuid

    assert await refused_with(connect_url(uuid.uuid4(), bob_token)) == 4404
    assert await refused_with(connect_url("not-a-uuid", bob_token)) == 4404


async def test_bad_token_counts_as_anonymous(alice_session):
    assert await refused_with(connect_url(alice_session.id, "nope")) == 4401


async def test_owner_gets_hello_with_last_seq(alice_session, alice_token):
    ws, hello = await open_socket(alice_session.id, alice_token)
    assert hello == {"type": "hello", "session": str(alice_session.id), "last_seq": 0}
    await ws.disconnect()


async def test_session_cookie_authenticates_the_browser(alice, alice_session):
    client = Client()
    await client.aforce_login(alice)
    cookie = client.cookies["sessionid"].value
    ws = communicator(
        connect_url(alice_session.id),
        [ORIGIN, HOST, (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    await ws.disconnect()


@pytest.mark.parametrize(
    "headers",
    [[(b"origin", b"http://evil.example.com")], []],
    ids=["foreign-origin", "missing-origin"],
)
async def test_foreign_or_missing_origin_fails_the_handshake(
    alice_session, alice_token, headers
):
    ws = communicator(connect_url(alice_session.id, alice_token), headers)
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()
