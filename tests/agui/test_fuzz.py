"""Whatever a client sends to `POST /api/agui/`, the answer is a stream or a 4xx
with a reason, never a 500, and a refused request leaves no thread behind."""

from __future__ import annotations

import json
import uuid

import hypothesis
import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from conversations.models import ChatSession
from tests.agui.test_endpoint import post, read_all

pytestmark = pytest.mark.django_db(transaction=True)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
THREAD = st.uuids().map(str) | st.sampled_from(["not-a-uuid", ""]) | JSON
MESSAGE = st.fixed_dictionaries(
    {
        "id": st.text(max_size=120),
        "role": st.sampled_from(["user", "user", "assistant", "tool", "system", "x"]),
    },
    optional={
        "content": st.text(max_size=50)
        | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": JSON}))
        | JSON,
        "toolCallId": JSON,
    },
)
RESUME = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "interruptId": st.sampled_from([str(uuid.uuid4())]) | JSON,
            "status": st.sampled_from(["resolved", "cancelled"]) | JSON,
            "payload": st.booleans()
            | st.fixed_dictionaries({"decision": st.sampled_from(["approve", "x"])})
            | JSON,
        },
    ),
    max_size=3,
)
RUN_INPUT = st.fixed_dictionaries(
    {
        "threadId": THREAD,
        "runId": st.text(max_size=10),
        "messages": st.lists(MESSAGE, max_size=3),
    },
    optional={
        "forwardedProps": st.fixed_dictionaries(
            {}, optional={"agent": st.sampled_from(["assistant", "nope"]) | JSON}
        )
        | JSON,
        "resume": RESUME | JSON,
        "state": JSON,
        "tools": JSON,
    },
)
# Near-valid inputs, so the paths past validation are explored too.
TO_RUN = st.fixed_dictionaries(
    {
        "threadId": st.uuids().map(str),
        "runId": st.just("r"),
        "messages": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.text(max_size=120),
                    "role": st.just("user"),
                    "content": st.sampled_from(["add 2 and 2", "hello", "", " "])
                    | st.text(max_size=30),
                }
            ),
            min_size=1,
            max_size=2,
        ),
    },
    optional={"forwardedProps": st.just({"agent": "assistant"}), "resume": RESUME},
)
ANY_BODY = (
    TO_RUN | RUN_INPUT | st.fixed_dictionaries({}, optional={"threadId": THREAD}) | JSON
)


@pytest.fixture
def many_messages(settings):
    """Room for every example's message under the rate limit."""
    settings.MESSAGE_RATE = "100000/min"


@hypothesis.settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=ANY_BODY)
def test_any_body_gets_a_stream_or_a_4xx_with_a_reason(
    alice_token, body, many_messages
):
    async def send() -> None:
        before = await ChatSession.objects.acount()
        response = await post(alice_token, json.dumps(body))
        if response.status_code == 200:
            frames = await read_all(response)
            assert frames[-1]["event"]["type"] in ("RUN_FINISHED", "RUN_ERROR")
            return
        assert 400 <= response.status_code < 500, response.content
        assert json.loads(response.content)["detail"]
        assert await ChatSession.objects.acount() == before

    async_to_sync(send)()
