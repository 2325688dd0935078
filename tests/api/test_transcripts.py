"""Transcripts over REST: event pages, feedback on answers, exports, runs."""

import json

import pytest
from django.utils import timezone

from conversations.models import Feedback
from tests.api.conftest import store_exchange
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)


def events_url(session, query: str = "") -> str:
    return f"/api/sessions/{session.id}/events/{query}"


def test_events_come_in_seq_order_as_the_wire_envelope(api, alice_session):
    run = store_exchange(alice_session)
    body = api.get(events_url(alice_session)).json()
    assert body["next"] is None
    assert [e["seq"] for e in body["results"]] == list(range(1, 8))
    first = body["results"][0]
    assert first == {
        "session": str(alice_session.id),
        "seq": 1,
        "run": str(run.id),
        "type": "user_message",
        "data": {"text": "what is 2 + 2?"},
        "ts": first["ts"],
    }
    assert first["ts"].endswith("Z")


def test_event_pages_after_a_seq_link_to_the_next_page(api, alice_session):
    store_exchange(alice_session)
    page = api.get(events_url(alice_session, "?after=2&limit=3")).json()
    assert [e["seq"] for e in page["results"]] == [3, 4, 5]
    assert page["next"].endswith(events_url(alice_session, "?after=5&limit=3"))
    last = api.get(page["next"]).json()
    assert [e["seq"] for e in last["results"]] == [6, 7]
    assert last["next"] is None


def test_event_pages_stay_gapless_while_a_run_appends(api, alice_session):
    store_exchange(alice_session)
    page = api.get(events_url(alice_session, "?limit=5")).json()
    seqs = [e["seq"] for e in page["results"]]
    store_exchange(alice_session, "and 3 + 3?", "6")  # arrives between two reads
    url = page["next"]
    while url:
        page = api.get(url).json()
        seqs += [e["seq"] for e in page["results"]]
        url = page["next"]
    assert seqs == list(range(1, 15))


@pytest.mark.parametrize(
    "query",
    ["?after=-1", "?after=abc", "?after=²", "?limit=0", "?limit=501", "?limit=1.5"],
)
def test_bad_after_or_limit_is_a_400_naming_the_parameter(api, alice_session, query):
    response = api.get(events_url(alice_session, query))
    assert response.status_code == 400
    assert query[1:].split("=")[0] in response.json()["errors"]


def test_owner_rates_an_answer_then_changes_the_rating(api, alice_session):
    store_exchange(alice_session)
    url = f"/api/sessions/{alice_session.id}/events/6/feedback/"
    response = api.put(url, {"rating": 1, "comment": "clear"}, format="json")
    assert response.status_code == 200
    assert response.json()["rating"] == 1
    response = api.put(url, {"rating": -1}, format="json")
    assert response.json()["rating"] == -1
    feedback = Feedback.objects.get()
    assert (feedback.event.seq, feedback.rating) == (6, -1)


def test_owner_lists_the_ratings_given_in_a_session(api, alice_session):
    store_exchange(alice_session)
    base = f"/api/sessions/{alice_session.id}/"
    assert api.get(base + "feedback/").json() == {"results": []}
    api.put(
        base + "events/6/feedback/", {"rating": -1, "comment": "vague"}, format="json"
    )
    (rated,) = api.get(base + "feedback/").json()["results"]
    assert (rated["seq"], rated["rating"], rated["comment"]) == (6, -1, "vague")


def test_deleting_feedback_takes_the_rating_back(api, alice_session):
    store_exchange(alice_session)
    url = f"/api/sessions/{alice_session.id}/events/6/feedback/"
    api.put(url, {"rating": 1}, format="json")
    assert api.delete(url).status_code == 204
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("seq", "body", "status"),
    [
        (3, {"rating": 1}, 400),  # a thought, not an answer
        (6, {"rating": 5}, 400),
        (6, {"rating": 1, "comment": "x" * 2001}, 400),
        (6, {}, 400),
        (99, {"rating": 1}, 404),
        ("six", {"rating": 1}, 404),
    ],
)
def test_bad_feedback_is_refused_with_a_clear_error(
    api, alice_session, seq, body, status
):
    store_exchange(alice_session)
    url = f"/api/sessions/{alice_session.id}/events/{seq}/feedback/"
    response = api.put(url, body, format="json")
    assert response.status_code == status
    assert response.json()["detail"]
    assert not Feedback.objects.exists()


def test_json_export_is_the_whole_transcript_as_a_download(api, alice_session):
    store_exchange(alice_session)
    response = api.get(f"/api/sessions/{alice_session.id}/export/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="session-{alice_session.id}.json"'
    )
    body = json.loads(response.content)
    assert body["session"]["owner"] == "alice"
    events = api.get(events_url(alice_session)).json()["results"]
    assert body["events"] == events


def test_markdown_export_quotes_arguments_that_contain_backticks(api, alice_session):
    store_exchange(alice_session, question="say `hi`", answer="`hi`")
    response = api.get(f"/api/sessions/{alice_session.id}/export/?format=md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert "### User\n\n> say `hi`" in text
    assert '**Tool call** `add` with `{"a": 2, "b": 2}`' in text


def test_exports_carry_ratings_comments_and_the_review(
    api, alice_session, django_user_model
):
    store_exchange(alice_session)
    api.put(
        f"/api/sessions/{alice_session.id}/events/6/feedback/",
        {"rating": -1, "comment": "too terse"},
        format="json",
    )
    staff = django_user_model.objects.create_user("rita", is_staff=True)
    type(alice_session).objects.filter(pk=alice_session.pk).update(
        reviewed=True,
        reviewed_by=staff,
        reviewed_at=timezone.now(),
        review_notes="answer was right, tone flat",
    )
    url = f"/api/sessions/{alice_session.id}/export/"
    body = json.loads(api.get(url + "?format=json").content)
    assert body["feedback"] == [
        {
            "seq": 6,
            "rating": "down",
            "comment": "too terse",
            "updated_at": body["feedback"][0]["updated_at"],
        }
    ]
    assert body["session"]["review"]["by"] == "rita"
    assert body["session"]["review"]["notes"] == "answer was right, tone flat"
    text = api.get(url + "?format=md").content.decode()
    assert "**Rated** bad answer: too terse" in text
    assert "## Review\n\nReviewed by rita" in text
    assert "> answer was right, tone flat" in text


def test_export_in_an_unknown_format_is_a_400(api, alice_session):
    response = api.get(f"/api/sessions/{alice_session.id}/export/?format=pdf")
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def test_run_shows_status_timings_and_event_range(api, alice_session):
    run = store_exchange(alice_session)
    body = api.get(f"/api/runs/{run.id}/").json()
    assert body["id"] == str(run.id)
    assert body["session"] == str(alice_session.id)
    assert body["status"] == "succeeded"
    assert (body["first_seq"], body["last_seq"]) == (1, 7)
    assert body["usage"] == {"input_tokens": 0, "output_tokens": 0, "by_model": []}
    assert body["duration_ms"] == 0
    assert body["error"] == ""


def test_unknown_or_malformed_ids_are_a_json_404(api, alice):
    new_session(alice)
    for url in ("/api/sessions/not-a-uuid/", "/api/runs/12345/"):
        response = api.get(url)
        assert response.status_code == 404
        assert response.json()["detail"]


def test_markdown_export_shows_each_approval_and_decision(api, alice):
    from tests.admin.transcripts import approval_transcript

    session = approval_transcript(new_session(alice, agent="notes"))
    text = api.get(f"/api/sessions/{session.id}/export/?format=md").content.decode()
    assert (
        '**Approval requested** from the owner: `save_note` with `{"text": "call the bank"}`'
        in text
    )
    assert (
        '**Approval edited** by alice, to run with `{"text": "call the bank at 9"}`'
        in text
    )
    assert "**Approval rejected** by alice: too risky" in text
    assert "**Tool error** (rejected) `save_note`: not run: rejected" in text
