"""Sessions over REST: create, list, read, rename, delete; ownership; listing at scale."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import ChatSession, Event, Run
from tests.api.conftest import store_exchange
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)


def session_ids(page: dict) -> list[str]:
    return [item["id"] for item in page["results"]]


def walk(api, url: str) -> list[str]:
    """Every id of every page, following `next` links to the end."""
    ids = []
    while url:
        response = api.get(url)
        assert response.status_code == 200
        ids += session_ids(response.json())
        url = response.json()["next"]
    return ids


def test_created_session_belongs_to_the_caller_whatever_the_body_says(api, alice, bob):
    response = api.post(
        "/api/sessions/",
        {"agent": "math", "title": "sums", "owner": bob.pk},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["agent"] == "math"
    assert body["title"] == "sums"
    assert body["event_count"] == 0
    assert body["active_run"] is None
    assert ChatSession.objects.get(pk=body["id"]).owner == alice


def test_creating_a_session_for_an_unknown_agent_is_a_400_naming_the_field(api):
    response = api.post("/api/sessions/", {"agent": "nobody"}, format="json")
    assert response.status_code == 400
    assert "agent" in response.json()["detail"]
    assert "agent" in response.json()["errors"]


def test_detail_counts_events_and_shows_last_activity_and_active_run(api, alice):
    session = new_session(alice, "math")
    store_exchange(session)
    running = Run.objects.create(session=session, status=Run.Status.RUNNING)
    body = api.get(f"/api/sessions/{session.id}/").json()
    session.refresh_from_db()
    assert body["event_count"] == Event.objects.filter(session=session).count() == 7
    assert body["active_run"] == str(running.id)
    assert body["last_activity"] == session.last_activity.isoformat().replace(
        "+00:00", "Z"
    )


def test_rename_changes_the_title_and_nothing_else(api, alice_session):
    response = api.patch(
        f"/api/sessions/{alice_session.id}/",
        {"title": "Renamed", "agent": "math"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"
    alice_session.refresh_from_db()
    assert (alice_session.title, alice_session.agent) == ("Renamed", "assistant")


def test_delete_removes_the_session_with_all_its_events(api, alice_session):
    store_exchange(alice_session)
    response = api.delete(f"/api/sessions/{alice_session.id}/")
    assert response.status_code == 204
    assert not ChatSession.objects.filter(pk=alice_session.pk).exists()
    assert not Event.objects.filter(session_id=alice_session.pk).exists()
    assert api.get(f"/api/sessions/{alice_session.id}/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("patch", "", {"title": "mine now"}),
        ("delete", "", None),
        ("get", "events/", None),
        ("post", "messages/", {"text": "hello"}),
        ("post", "cancel/", None),
        ("get", "export/?format=md", None),
        ("put", "events/6/feedback/", {"rating": 1}),
        ("delete", "events/6/feedback/", None),
    ],
)
def test_another_users_session_is_a_404_on_every_endpoint(api, bob, method, path, body):
    session = new_session(bob)
    store_exchange(session)
    response = getattr(api, method)(
        f"/api/sessions/{session.id}/{path}", body, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No ChatSession matches the given query."}
    assert Event.objects.filter(session=session).count() == 7
    assert ChatSession.objects.get(pk=session.pk).title == ""
    assert not Run.objects.filter(session=session, cancel_requested=True).exists()


def test_another_users_sessions_and_runs_are_never_listed_or_shown(api, bob):
    run = store_exchange(new_session(bob))
    assert api.get("/api/sessions/").json()["results"] == []
    assert api.get(f"/api/runs/{run.id}/").status_code == 404


def test_list_shows_newest_activity_first(api, alice):
    old, middle, new = (new_session(alice) for _ in range(3))
    store_exchange(old)  # activity now: it moves to the front
    assert session_ids(api.get("/api/sessions/").json()) == [
        str(old.id),
        str(new.id),
        str(middle.id),
    ]


def test_pages_follow_next_and_previous_links_without_repeats(api, alice):
    sessions = [new_session(alice) for _ in range(7)]
    first = api.get("/api/sessions/?page_size=3").json()
    assert len(first["results"]) == 3
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert api.get(second["previous"]).json()["results"] == first["results"]
    ids = walk(api, "/api/sessions/?page_size=3")
    assert ids == [str(s.id) for s in reversed(sessions)]


def test_page_size_is_capped_at_100(api, alice):
    ChatSession.objects.bulk_create(
        ChatSession(owner=alice, agent="assistant") for _ in range(105)
    )
    assert len(api.get("/api/sessions/?page_size=1000").json()["results"]) == 100


def test_paging_stays_stable_while_new_events_arrive(api, alice):
    sessions = [new_session(alice) for _ in range(9)]
    first = api.get("/api/sessions/?page_size=3").json()
    seen = session_ids(first)
    # A session on a later page and one already seen get activity; a new one starts.
    moved = {sessions[1], sessions[8]}
    for session in moved:
        store_exchange(session)
    new_session(alice)
    seen += walk(api, first["next"])
    assert len(seen) == len(set(seen)), "a session was repeated"
    untouched = {str(s.id) for s in sessions} - {str(s.id) for s in moved}
    assert untouched <= set(seen), "a session that did not change was skipped"


def test_a_malformed_cursor_is_a_400(api, alice_session):
    response = api.get("/api/sessions/?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response.json()["detail"] == "cursor: Invalid cursor."


def test_filters_by_agent_status_and_creation_time(api, alice):
    now = timezone.now()
    math = new_session(alice, "math")
    store_exchange(math)
    assistant = new_session(alice, "assistant")
    Run.objects.create(session=assistant, status=Run.Status.FAILED)
    ancient = ChatSession.objects.create(
        owner=alice, agent="assistant", created_at=now - timedelta(days=30)
    )

    def listed(query: str) -> set[str]:
        response = api.get("/api/sessions/", query)
        assert response.status_code == 200
        return set(session_ids(response.json()))

    assert listed({"agent": "math"}) == {str(math.id)}
    assert listed({"status": "succeeded"}) == {str(math.id)}
    assert listed({"status": "failed"}) == {str(assistant.id)}
    week_ago = (now - timedelta(days=7)).isoformat()
    assert listed({"created_after": week_ago}) == {str(math.id), str(assistant.id)}
    assert listed({"created_before": week_ago}) == {str(ancient.id)}


def test_search_finds_sessions_by_title_and_by_message_text(api, alice):
    titled = ChatSession.objects.create(owner=alice, agent="math", title="Tax return")
    asked = new_session(alice)
    store_exchange(asked, question="How far is the MOON?", answer="384,400 km")
    new_session(alice)
    found = set(session_ids(api.get("/api/sessions/?search=moon").json()))
    assert found == {str(asked.id)}
    found = set(session_ids(api.get("/api/sessions/?search=tax").json()))
    assert found == {str(titled.id)}
    found = set(session_ids(api.get("/api/sessions/?search=384,400").json()))
    assert found == {str(asked.id)}, "answers are searched too"


def test_times_with_any_iso_offset_filter_without_error(api, alice_session):
    # PostgreSQL itself refuses a -23:48 offset; the filter hands it UTC.
    response = api.get("/api/sessions/?created_before=0259-12-03T05:52:09-23:48")
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "query",
    [
        "status=sleeping",
        "created_after=yesterday",
        "created_before=2026-13-45",
        "created_before=0001-01-01T00:00:00%2B05:00",  # before year 1 in UTC
    ],
)
def test_bad_filter_values_are_a_400_naming_the_filter(api, query):
    response = api.get(f"/api/sessions/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


@pytest.mark.parametrize("size", [2, 30])
def test_listing_takes_two_queries_whatever_the_page_size(
    api, alice, size, django_assert_num_queries
):
    for session in [new_session(alice) for _ in range(30)]:
        store_exchange(session)
        Run.objects.create(session=session, status=Run.Status.RUNNING)
    with django_assert_num_queries(2):  # the token, the page with its annotations
        response = api.get(f"/api/sessions/?page_size={size}&search=2&status=running")
    results = response.json()["results"]
    assert len(results) == size
    assert all(item["active_run"] and item["event_count"] == 7 for item in results)
