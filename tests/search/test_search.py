"""Full-text search on both databases: the index is written with the events
in their transaction, a user finds only their own transcripts, hits come
best first with snippets, pages by cursor, and any input is a clear 400 at
worst. The session list's `search` and the admin's search use the same index."""

from __future__ import annotations

import contextlib

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.events import Final, Thought, ToolCall, ToolResult
from conversations import search
from conversations.engine.storage import write_batch
from conversations.models import SearchEntry
from tests.admin.conftest import logged_in
from tests.admin.transcripts import add_turn
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)


def found(api, q: str, **params) -> dict:
    response = api.get("/api/search/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_messages_answers_thoughts_and_tool_calls_are_found(alice, api):
    session = new_session(alice)
    add_turn(
        session,
        "what is the capital of Peru?",
        [
            Thought("I should look up the Andean country"),
            ToolCall("c1", "lookup_fact", {"subject": "Peru", "field": "capital"}),
            ToolResult("c1", "lookup_fact", {"capital": "Lima"}, 1.0),
            Final("The capital of Peru is Lima."),
        ],
    )
    kinds = {hit["type"] for hit in found(api, "peru")["results"]}
    assert kinds == {"user_message", "tool_call", "final"}
    (thought,) = found(api, "andean")["results"]
    assert thought["type"] == "thought" and thought["session"] == str(session.id)
    assert {hit["type"] for hit in found(api, "lima")["results"]} == {
        "tool_result",
        "final",
    }
    hit = found(api, "capitals")["results"][0]  # stemmed: capitals finds capital
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end].lower() == "capital"
    assert set(hit) == {"session", "seq", "type", "snippet", "highlights", "ts"}


def test_only_the_callers_transcripts_are_searched(alice, bob, api, bob_api):
    add_turn(new_session(alice), "my secret word is xylophone", [Final("noted")])
    assert found(api, "xylophone")["results"]
    assert found(bob_api, "xylophone")["results"] == []


def test_the_index_is_written_in_the_events_transaction(alice):
    session = new_session(alice)
    with pytest.raises(RuntimeError), transaction.atomic():
        write_batch(session.id, None, [Final("rolled back zeppelin")])
        assert SearchEntry.objects.filter(session=session).count() == 1
        raise RuntimeError
    assert not SearchEntry.objects.exists()
    assert search.hits(alice.pk, "zeppelin")[0] == []


def test_phrases_and_exclusions(alice, api):
    session = new_session(alice)
    add_turn(session, "red apple pie", [Final("ok")])
    add_turn(session, "apple red pie", [Final("ok")])
    add_turn(session, "green apple", [Final("ok")])
    texts = lambda q: sorted(h["snippet"] for h in found(api, q)["results"])  # noqa: E731
    assert texts('"red apple"') == ["red apple pie"]
    assert texts("apple -red") == ["green apple"]
    assert texts("apple pie") == ["apple red pie", "red apple pie"]


def test_hits_page_by_cursor_without_repeats_while_events_arrive(alice, api):
    session = new_session(alice)
    for n in range(25):
        write_batch(session.id, None, [Final(f"walrus number {n}")])
    first = found(api, "walrus", page_size=10)
    write_batch(session.id, None, [Final("a walrus arriving later")])
    seen = [h["seq"] for h in first["results"]]
    page = first
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [h["seq"] for h in page["results"]]
    assert len(seen) == len(set(seen)) == 25  # the late one is not in this walk


def test_a_more_relevant_hit_ranks_first(alice, api):
    session = new_session(alice)
    write_batch(session.id, None, [Final("penguin penguin penguin on the ice")])
    write_batch(session.id, None, [Final("one penguin among many other words here")])
    results = found(api, "penguin")["results"]
    assert results[0]["snippet"].startswith("penguin penguin")


@pytest.mark.parametrize(
    "q", ["", "   ", "-only", '"', "***", "AND", "x" * 501, "NEAR(", "'"]
)
def test_bad_queries_are_a_clear_400_or_no_hits(api, q):
    response = api.get("/api/search/", {"q": q})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["detail"]


@pytest.mark.parametrize(
    "cursor", ["nonsense", "W10", "WzEsMiwzXQ", "Wy0xLDBd", "W3RydWUsMV0", "e30"]
)
def test_a_bad_cursor_is_a_400(api, cursor):
    response = api.get("/api/search/", {"q": "hello", "cursor": cursor})
    assert response.status_code == 400


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=60))
def test_any_text_is_a_query_or_a_bad_query_never_a_database_error(alice, q):
    with contextlib.suppress(search.BadQuery):
        search.hits(alice.pk, q)


def test_the_session_list_search_uses_the_index(alice, api):
    wanted = new_session(alice)
    add_turn(wanted, "tell me about hedgehogs", [Final("Hedgehogs are spiny.")])
    add_turn(new_session(alice), "something else", [Final("ok")])
    response = api.get("/api/sessions/", {"search": "hedgehog"})
    assert [s["id"] for s in response.json()["results"]] == [str(wanted.id)]


def test_staff_search_every_transcript_in_the_admin(superuser, alice, bob):
    add_turn(new_session(bob), "where do flamingos live?", [Final("In lagoons.")])
    add_turn(new_session(alice), "hello", [Final("hi")])
    page = logged_in(superuser).get(
        reverse("admin:conversations_chatsession_changelist"), {"q": "lagoon"}
    )
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1


def test_a_fork_carries_its_search_entries(alice, api):
    session = new_session(alice)
    add_turn(session, "remember the okapi", [Final("The okapi is noted.")])
    session.refresh_from_db()
    response = api.post(
        f"/api/sessions/{session.id}/fork/", {"at": session.last_seq}, format="json"
    )
    assert response.status_code in (200, 201), response.content
    sessions = {h["session"] for h in found(api, "okapi")["results"]}
    assert len(sessions) == 2
