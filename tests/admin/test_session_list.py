"""The sessions list: counts without N+1, the filters a reviewer needs, actions."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.events import Final, Thought, ToolCall, ToolError
from conversations.models import AgentState, ChatSession
from tests.admin.transcripts import add_turn, full_transcript, rate_answer
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("admin:conversations_chatsession_changelist")


def answered_sessions(owner, count: int) -> list[ChatSession]:
    sessions = []
    for i in range(count):
        session = new_session(owner, agent=("assistant", "researcher")[i % 2])
        add_turn(session, f"question {i}", [Thought("thinking"), Final(f"answer {i}")])
        rate_answer(session, 1 if i % 2 else -1)
        sessions.append(session)
    return sessions


def listed(response) -> set:
    return {session.pk for session in response.context["cl"].result_list}


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_the_number_of_sessions(
    viewer_client, alice, bob
):
    answered_sessions(alice, 5)
    with_five = list_queries(viewer_client)
    answered_sessions(bob, 45)
    with_fifty = list_queries(viewer_client)
    assert with_five == with_fifty <= 12


def test_list_shows_events_runs_by_status_tokens_and_feedback(viewer_client, alice):
    session = full_transcript(new_session(alice))
    response = viewer_client.get(LIST)
    row = response.context["cl"].result_list[0]
    assert (row.pk, row.last_seq, row.tokens) == (session.pk, 14, 300)
    assert (row.runs_succeeded, row.runs_failed) == (1, 1)
    assert (row.feedback_up, row.feedback_down) == (0, 1)
    assert "review-pill--failed" in response.text


@pytest.fixture
def triage(alice, bob) -> dict[str, ChatSession]:
    """Sessions a reviewer must tell apart: a failed run, a disliked answer, and
    one already reviewed (bob's, with another agent)."""
    failed = new_session(alice)
    add_turn(
        failed,
        "Now divide it by zero",
        [ToolCall("c1", "divide", {"a": 4, "b": 0}), ToolError("c1", "divide", "no")],
        status="failed",
    )
    rated_down = new_session(alice)
    add_turn(rated_down, "tell me a joke", [Final("no")])
    rate_answer(rated_down, -1)
    reviewed = new_session(bob, agent="researcher")
    add_turn(reviewed, "hello", [Final("hi")])
    ChatSession.objects.filter(pk=reviewed.pk).update(reviewed=True)
    return {"failed": failed, "rated down": rated_down, "reviewed": reviewed}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("run_status=problem", {"failed"}),
        ("run_status=failed", {"failed"}),
        ("run_status=succeeded", {"rated down", "reviewed"}),
        ("feedback=negative", {"rated down"}),
        ("feedback=none", {"failed", "reviewed"}),
        ("reviewed__exact=1", {"reviewed"}),
        ("agent=researcher", {"reviewed"}),
        ("q=divide+it", {"failed"}),
        ("q=bob", {"reviewed"}),
    ],
)
def test_filters_and_search_find_the_sessions_a_reviewer_looks_for(
    viewer_client, triage, query, expected
):
    names = {session.pk: name for name, session in triage.items()}
    response = viewer_client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert {names[pk] for pk in listed(response)} == expected


def test_export_actions_download_jsonl_and_markdown(viewer_client, alice):
    sessions = [full_transcript(new_session(alice)) for _ in range(2)]
    selected = [str(s.pk) for s in sessions]
    jsonl = viewer_client.post(
        LIST, {"action": "export_jsonl", "_selected_action": selected}
    )
    assert jsonl.status_code == 200
    assert jsonl["Content-Disposition"].endswith('.jsonl"')
    lines = [json.loads(line) for line in jsonl.content.decode().splitlines()]
    assert [len(doc["events"]) for doc in lines] == [14, 14]
    assert {doc["session"]["id"] for doc in lines} == set(selected)
    assert lines[0]["events"][0]["type"] == "user_message"
    ratings = [rating["comment"] for doc in lines for rating in doc["feedback"]]
    assert "I wanted the working shown" in ratings
    assert all("review" in doc["session"] for doc in lines)
    markdown = viewer_client.post(
        LIST, {"action": "export_markdown", "_selected_action": selected}
    )
    text = markdown.content.decode()
    assert text.count("# What is 2 + 2?") == 2
    assert "**Tool error** `divide`: division by zero" in text


def test_purge_is_not_offered_to_staff_who_are_not_superusers(editor_client, alice):
    session = full_transcript(new_session(alice))
    page = editor_client.get(LIST)
    assert "purge_owners" not in page.text
    editor_client.post(
        LIST,
        {"action": "purge_owners", "_selected_action": [session.pk], "post": "yes"},
    )
    assert ChatSession.objects.filter(pk=session.pk).exists()


def test_superuser_purges_a_users_data_after_confirming(superuser_client, alice, bob):
    alices = [full_transcript(new_session(alice)) for _ in range(2)]
    AgentState.objects.create(scope="user", agent="assistant", user=alice, key="k")
    bobs = full_transcript(new_session(bob))
    form = {"action": "purge_owners", "_selected_action": [alices[0].pk]}
    confirm = superuser_client.post(LIST, form)
    assert confirm.status_code == 200
    assert "alice" in confirm.text
    assert "Sessions: 2" in confirm.text
    assert ChatSession.objects.count() == 3  # nothing goes before the confirmation
    done = superuser_client.post(LIST, {**form, "post": "yes"})
    assert done.status_code == 302
    assert list(ChatSession.objects.values_list("pk", flat=True)) == [bobs.pk]
    assert not AgentState.objects.filter(user=alice).exists()
    alice.refresh_from_db()  # the account stays
