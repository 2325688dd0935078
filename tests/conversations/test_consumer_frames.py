"""Bad client frames get a `rejected` reply and leave the socket usable."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.inputs import MAX_FRAME_BYTES, MAX_TEXT_LENGTH
from tests.conversations.wsclient import open_socket

pytestmark = pytest.mark.django_db(transaction=True)

BAD_FRAMES = {
    "not-json": "{nope",
    "json-array": "[1, 2]",
    "no-type": json.dumps({"text": "hi"}),
    "type-not-string": json.dumps({"type": 7}),
    "unknown-type": json.dumps({"type": "dance"}),
    "empty-text": json.dumps({"type": "message", "text": "   "}),
    "text-not-string": json.dumps({"type": "message", "text": ["a"]}),
    "oversized-text": json.dumps(
        {"type": "message", "text": "x" * (MAX_TEXT_LENGTH + 1)}
    ),
    "bad-client-id": json.dumps({"type": "message", "text": "hi", "client_id": 5}),
    "resume-without-after": json.dumps({"type": "resume"}),
    "resume-negative": json.dumps({"type": "resume", "after": -1}),
    "oversized-frame": json.dumps({"type": "message", "text": "y" * MAX_FRAME_BYTES}),
}


async def assert_still_usable(ws) -> None:
    await ws.send_json_to({"type": "resume", "after": 0})
    await ws.send_json_to({"type": "cancel"})
    reply = await ws.receive_json_from(timeout=5)
    assert reply == {
        "type": "rejected",
        "code": "not_found",
        "message": "no active run to cancel",
    }


@pytest.mark.parametrize("frame", list(BAD_FRAMES.values()), ids=list(BAD_FRAMES))
async def test_bad_frame_is_rejected_and_socket_keeps_working(
    alice_session, alice_token, frame
):
    ws, _ = await open_socket(alice_session.id, alice_token)
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "rejected"
    assert reply["code"] == "bad_request"
    assert reply["message"]
    await assert_still_usable(ws)
    await ws.disconnect()


async def test_binary_frame_is_rejected(alice_session, alice_token):
    ws, _ = await open_socket(alice_session.id, alice_token)
    await ws.send_to(bytes_data=b"\x00\x01")
    reply = await ws.receive_json_from(timeout=5)
    assert (reply["type"], reply["code"]) == ("rejected", "bad_request")
    await assert_still_usable(ws)
    await ws.disconnect()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
frames = st.one_of(
    st.text(min_size=1, max_size=200),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["message", "resume", "cancel", "hello", "ack", "rejected"]
            )
        },
        optional={"after": json_values, "text": json_values, "client_id": json_values},
    ).map(json.dumps),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(frame=frames)
async def test_any_generated_frame_gets_a_protocol_reply_or_nothing_and_socket_survives(
    alice_session, alice_token, frame
):
    ws, _ = await open_socket(alice_session.id, alice_token)
    await ws.send_to(text_data=frame)
    # A sentinel with a known reply: everything before it answers `frame`.
    await ws.send_json_to({"type": "sentinel"})
    replies = []
    while True:
        reply = await ws.receive_json_from(timeout=5)
        replies.append(reply)
        if reply.get("message") == "unknown frame type 'sentinel'":
            break
    for reply in replies[:-1]:
        assert reply["type"] in {"rejected", "ack", "delta"} or "session" in reply
    await ws.disconnect()
