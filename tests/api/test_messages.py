"""Messages over REST: runs start, conflict, cancel, throttle; the math export.

Tests that need a run to finish post through Django's AsyncClient: the sync view
runs in a thread and hands the run to this test's event loop, as daphne's loop
would in production, so `wait_for_run` can await it.
"""

import pytest
from django.test import AsyncClient

from conversations.engine.service import wait_for_run
from conversations.inputs import MAX_TEXT_LENGTH
from conversations.models import Event, Run
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)


class Script:
    """Alice's script, posting JSON with her token."""

    def __init__(self, token: str) -> None:
        self.client = AsyncClient()
        self.headers = {"Authorization": f"Token {token}"}

    async def get(self, path: str):
        return await self.client.get(path, headers=self.headers)

    async def post(self, path: str, body: dict | None = None):
        return await self.client.post(
            path, body or {}, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def script(alice_token) -> Script:
    return Script(alice_token)


async def test_message_starts_a_run_answered_202_with_run_and_seq(alice, script):
    session = await anew_session(alice, "math")
    response = await script.post(
        f"/api/sessions/{session.id}/messages/", {"text": "what is 2 + 3?"}
    )
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["seq"] == 1
    await wait_for_run(accepted["run"])
    run = (await script.get(f"/api/runs/{accepted['run']}/")).json()
    assert run["status"] == "succeeded"
    assert run["first_seq"] == 1
    detail = (await script.get(f"/api/sessions/{session.id}/")).json()
    assert detail["event_count"] == run["last_seq"]
    assert detail["active_run"] is None
    assert detail["title"] == "what is 2 + 3?"


async def test_repeated_client_id_returns_the_original_run(alice, script):
    session = await anew_session(alice, "math")
    url = f"/api/sessions/{session.id}/messages/"
    first = await script.post(url, {"text": "what is 1 + 1?", "client_id": "m-1"})
    await wait_for_run(first.json()["run"])
    again = await script.post(url, {"text": "what is 1 + 1?", "client_id": "m-1"})
    assert again.status_code == 202
    assert again.json() == first.json()
    assert await Run.objects.filter(session=session).acount() == 1


async def test_second_message_while_a_run_is_active_is_a_409_and_cancel_stops_it(
    alice, script, test_agents
):
    # The slow agent writes for two seconds: a step delay of 0.2 s was too short
    # a window on a loaded machine, and the run had finished before the cancel.
    session = await anew_session(alice, "slow")
    url = f"/api/sessions/{session.id}/"
    first = (await script.post(url + "messages/", {"text": "what is 2 * 8?"})).json()
    busy = await script.post(url + "messages/", {"text": "and 3 * 3?"})
    assert busy.status_code == 409
    assert busy.json() == {"detail": "A run is already active in this session."}
    assert (await script.get(url)).json()["active_run"] == first["run"]
    cancelled = await script.post(url + "cancel/")
    assert cancelled.status_code == 202
    assert cancelled.json() == {"run": first["run"]}
    await wait_for_run(first["run"])
    assert (await Run.objects.aget(pk=first["run"])).status == "cancelled"
    nothing = await script.post(url + "cancel/")
    assert nothing.status_code == 409


async def test_markdown_export_of_a_math_session_reads_as_a_document(alice, script):
    session = await anew_session(alice, "math")
    url = f"/api/sessions/{session.id}/"
    accepted = await script.post(url + "messages/", {"text": "what is (3 + 4) * 5?"})
    await wait_for_run(accepted.json()["run"])
    response = await script.get(url + "export/?format=md")
    assert response.status_code == 200
    markdown = response.content.decode()
    thoughts = [
        e.data["text"]
        async for e in Event.objects.filter(session=session, type="thought")
    ]
    assert markdown.startswith("# what is (3 + 4) * 5?\n\nAgent `math` · alice · ")
    expected_blocks = [
        "### User\n\n> what is (3 + 4) * 5?",
        f"**Thought:** {thoughts[0]}",
        '**Tool call** `add` with `{"a": 3, "b": 4}`',
        "**Tool result** `add` → `7` (",
        f"**Thought:** {thoughts[1]}",
        '**Tool call** `multiply` with `{"a": 7, "b": 5}`',
        "**Tool result** `multiply` → `35` (",
        f"**Thought:** {thoughts[2]}",
        "### Answer\n\n> (3 + 4) \N{MULTIPLICATION SIGN} 5 = 35.",
        "---\n*Run succeeded in ",
    ]
    positions = [markdown.index(block) for block in expected_blocks]
    assert positions == sorted(positions), "blocks out of transcript order"
    assert len(thoughts) == 3
    assert '"type"' not in markdown  # no raw envelopes, only prose


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({}, 400, "text: This field is required."),
        ({"text": "   "}, 400, "text: This field may not be blank."),
        ({"text": ["a list"]}, 400, "text: Not a valid string."),
        ({"text": "hi", "client_id": "x" * 101}, 400, "client_id: Ensure"),
        (
            {"text": "x" * (MAX_TEXT_LENGTH + 1)},
            413,
            f"text is longer than {MAX_TEXT_LENGTH} characters.",
        ),
    ],
)
async def test_bad_messages_are_refused_with_a_clear_error_and_start_nothing(
    alice, script, body, status, detail
):
    session = await anew_session(alice)
    response = await script.post(f"/api/sessions/{session.id}/messages/", body)
    assert response.status_code == status
    assert response.json()["detail"].startswith(detail)
    assert not await Run.objects.filter(session=session).aexists()


async def test_a_body_that_is_not_json_is_a_400(alice, script):
    session = await anew_session(alice)
    response = await script.client.post(
        f"/api/sessions/{session.id}/messages/",
        "{text: oops",
        content_type="application/json",
        headers=script.headers,
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


async def test_message_posting_is_throttled_per_user(
    alice, bob, script, bob_token, settings
):
    settings.MESSAGE_RATE = "2/min"
    url = f"/api/sessions/{(await anew_session(alice)).id}/messages/"
    for _ in range(2):  # refused as blank, but counted all the same
        assert (await script.post(url, {"text": " "})).status_code == 400
    throttled = await script.post(url, {"text": " "})
    assert throttled.status_code == 429
    assert throttled.json()["detail"].startswith("Request was throttled.")
    assert int(throttled["Retry-After"]) > 0
    bobs_url = f"/api/sessions/{(await anew_session(bob)).id}/messages/"
    assert (await Script(bob_token).post(bobs_url, {"text": " "})).status_code == 400
