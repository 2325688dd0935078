"""Fork, edit, regenerate and versions over REST: what a fork holds, where a
fork may start, what is refused (nothing created then), lineage and deletion.

Edits and regenerations start runs, so those tests post through Django's
AsyncClient (as tests/api/test_messages.py explains) and wait for the run.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agents.events import RunFinished, StateDelta, UserMessage
from conversations.engine.forks import run_boundaries
from conversations.engine.service import wait_for_run
from conversations.engine.storage import store_events
from conversations.models import AgentState, ChatSession, Event, Run
from tests.api.conftest import store_exchange
from tests.api.test_messages import Script
from tests.factories import new_session

pytestmark = pytest.mark.django_db(transaction=True)


def events_of(session_id) -> list[tuple]:
    return list(
        Event.objects.filter(session_id=session_id)
        .order_by("seq")
        .values_list("seq", "type", "data")
    )


@pytest.fixture
def three_turns(alice) -> ChatSession:
    """Alice's math session with three finished runs of seven events each."""
    session = new_session(alice, "math")
    for n in range(3):
        store_exchange(session, f"question {n}", f"answer {n}")
    session.refresh_from_db()
    return session


def test_a_fork_holds_the_parents_events_up_to_at_and_the_parent_is_unchanged(
    api, three_turns
):
    before = events_of(three_turns.id)
    response = api.post(
        f"/api/sessions/{three_turns.id}/fork/", {"at": 14}, format="json"
    )
    assert response.status_code == 201, response.json()
    fork = response.json()
    assert fork["parent"] == str(three_turns.id)
    assert fork["forked_at"] == 14
    assert fork["event_count"] == 14
    assert fork["title"] == three_turns.title
    assert events_of(fork["id"]) == before[:14]
    assert events_of(three_turns.id) == before
    # The fork's events name its own copies of the runs, which the API serves.
    page = api.get(f"/api/sessions/{fork['id']}/events/?limit=500").json()["results"]
    run_ids = {event["run"] for event in page}
    parent_runs = {
        str(r)
        for r in Run.objects.filter(session=three_turns).values_list("pk", flat=True)
    }
    assert len(run_ids) == 2 and not run_ids & parent_runs
    for run_id in run_ids:
        run = api.get(f"/api/runs/{run_id}/").json()
        assert run["session"] == fork["id"] and run["status"] == "succeeded"
    detail = api.get(f"/api/sessions/{three_turns.id}/").json()
    assert detail["parent"] is None and detail["forked_at"] is None


def test_a_fork_at_zero_is_an_empty_chat_with_the_same_agent_and_a_new_title(
    api, three_turns
):
    response = api.post(
        f"/api/sessions/{three_turns.id}/fork/",
        {"at": 0, "title": "Start over"},
        format="json",
    )
    assert response.status_code == 201
    fork = response.json()
    assert (fork["event_count"], fork["title"], fork["agent"]) == (
        0,
        "Start over",
        "math",
    )
    assert events_of(fork["id"]) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"at": 3}, "not a run boundary"),  # inside the first run
        ({"at": 22}, "not a run boundary"),  # past the end
        ({"at": -1}, "greater than or equal to 0"),
        ({"at": "seven"}, "valid integer"),
        ({}, "required"),
        ({"at": 7, "title": "x\x00"}, "NUL"),
    ],
)
def test_a_fork_at_a_wrong_place_is_a_400_and_creates_nothing(
    api, three_turns, body, reason
):
    sessions = ChatSession.objects.count()
    response = api.post(f"/api/sessions/{three_turns.id}/fork/", body, format="json")
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert ChatSession.objects.count() == sessions


def test_forking_another_users_session_is_a_404_and_an_active_run_a_409(
    api, bob_api, three_turns
):
    sessions = ChatSession.objects.count()
    url = f"/api/sessions/{three_turns.id}/fork/"
    assert bob_api.post(url, {"at": 7}, format="json").status_code == 404
    Run.objects.create(session=three_turns, status="running", message="busy")
    response = api.post(url, {"at": 7}, format="json")
    assert response.status_code == 409
    assert "active" in response.json()["detail"]
    for path in ("edit", "regenerate"):
        body = {"seq": 8, "text": "again"} if path == "edit" else {}
        retried = api.post(
            f"/api/sessions/{three_turns.id}/{path}/", body, format="json"
        )
        assert retried.status_code == 409
    assert ChatSession.objects.count() == sessions


def test_session_state_is_rebuilt_as_of_the_fork_and_user_state_is_shared(api, alice):
    session = new_session(alice, "math")

    def stored_run(*events) -> None:
        run = Run.objects.create(session=session, status="succeeded", message="m")
        rows = store_events(
            session.id,
            run.id,
            [UserMessage("m"), *events, RunFinished("succeeded", 1.0)],
        )
        Run.objects.filter(pk=run.pk).update(first_seq=rows[0].seq)

    stored_run(
        StateDelta("session", {"x": 1, "y": "a"}), StateDelta("user", {"n": "A"})
    )
    store_exchange(session)  # seqs 1-4, then 5-11, then 12-14
    stored_run(StateDelta("session", {"x": None, "z": 2}))
    assert run_boundaries(session.id) == [0, 4, 11, 14]
    AgentState.objects.create(
        scope="user", agent="math", user=alice, key="n", value="A"
    )
    for at, expected in [
        (4, {"x": 1, "y": "a"}),
        (11, {"x": 1, "y": "a"}),
        (14, {"y": "a", "z": 2}),
    ]:
        response = api.post(
            f"/api/sessions/{session.id}/fork/", {"at": at}, format="json"
        )
        state = AgentState.objects.filter(
            session_id=response.json()["id"], scope="session"
        )
        assert dict(state.values_list("key", "value")) == expected
    assert AgentState.objects.filter(scope="user").count() == 1


def test_a_message_queued_inside_a_run_moves_the_boundary_to_the_end_of_both(alice):
    session = new_session(alice, "math")
    first = Run.objects.create(session=session, status="succeeded", message="a")
    queued = Run.objects.create(session=session, status="succeeded", message="b")
    now = timezone.now()
    Run.objects.filter(pk=first.pk).update(first_seq=1, last_seq=5, finished_at=now)
    Run.objects.filter(pk=queued.pk).update(first_seq=3, last_seq=8, finished_at=now)
    assert run_boundaries(session.id) == [0, 8]
    Run.objects.create(session=session, status="running", message="c", first_seq=9)
    assert run_boundaries(session.id) == [0, 8]


async def test_edit_sends_the_new_text_in_a_fork_before_that_run(alice, alice_token):
    script = Script(alice_token)
    session = await sync_to_async(new_session)(alice, "math")
    for text in ("what is 2 + 2?", "what is 3 + 3?"):
        sent = await script.post(
            f"/api/sessions/{session.id}/messages/", {"text": text}
        )
        await wait_for_run(sent.json()["run"])
    before = await sync_to_async(events_of)(session.id)
    second = next(seq for seq, kind, data in before[1:] if kind == "user_message")
    response = await script.post(
        f"/api/sessions/{session.id}/edit/", {"seq": second, "text": "what is 5 + 5?"}
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["seq"] == second
    await wait_for_run(body["run"])
    edited = await sync_to_async(events_of)(body["session"])
    assert edited[: second - 1] == before[: second - 1]
    assert edited[second - 1][1:] == ("user_message", {"text": "what is 5 + 5?"})
    answer = [data["text"] for _, kind, data in edited[second - 1 :] if kind == "final"]
    assert answer and "10" in answer[0]
    assert await sync_to_async(events_of)(session.id) == before

    versions = (await script.get(f"/api/sessions/{body['session']}/versions/")).json()
    assert versions["original"] == str(session.id)
    assert [s["id"] for s in versions["sessions"]] == [str(session.id), body["session"]]
    assert versions["sessions"][1]["forked_at"] == second - 1


async def test_regenerate_answers_the_last_message_again_in_a_fork(alice, alice_token):
    script = Script(alice_token)
    session = await sync_to_async(new_session)(alice, "math")
    sent = await script.post(
        f"/api/sessions/{session.id}/messages/", {"text": "what is 2 + 2?"}
    )
    await wait_for_run(sent.json()["run"])
    response = await script.post(f"/api/sessions/{session.id}/regenerate/", {})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["seq"] == 1
    await wait_for_run(body["run"])
    regenerated = await sync_to_async(events_of)(body["session"])
    assert regenerated[0][1:] == ("user_message", {"text": "what is 2 + 2?"})
    assert regenerated[-1][1] == "run_finished"
    other = await script.post(
        f"/api/sessions/{session.id}/regenerate/", {"run": sent.json()["run"]}
    )
    assert other.status_code == 202


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("edit", {"seq": 2, "text": "x"}, "not a user message"),
        ("edit", {"seq": 99, "text": "x"}, "not a user message"),
        ("edit", {"seq": 1, "text": " "}, "blank"),
        ("edit", {"text": "x"}, "required"),
        ("regenerate", {"run": "5d1b2bd4-4a7d-4f3c-9b53-3c1f1c9f1a00"}, "No such run"),
        ("regenerate", {"run": "nope"}, "valid UUID"),
    ],
)
def test_bad_edits_and_regenerations_are_400s_and_create_nothing(
    api, three_turns, path, body, reason
):
    sessions = ChatSession.objects.count()
    response = api.post(f"/api/sessions/{three_turns.id}/{path}/", body, format="json")
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert ChatSession.objects.count() == sessions


def test_an_oversized_edit_is_a_413(api, three_turns):
    body = {"seq": 1, "text": "x" * 9000}
    response = api.post(f"/api/sessions/{three_turns.id}/edit/", body, format="json")
    assert response.status_code == 413


def test_forks_of_forks_stay_one_family_and_outlive_their_parent(api, three_turns):
    def fork(session_id, at):
        response = api.post(
            f"/api/sessions/{session_id}/fork/", {"at": at}, format="json"
        )
        assert response.status_code == 201
        return response.json()

    child = fork(three_turns.id, 14)
    grandchild = fork(child["id"], 7)
    assert grandchild["parent"] == child["id"]
    originals = api.get("/api/sessions/?original=true").json()["results"]
    assert [s["id"] for s in originals] == [str(three_turns.id)]
    forks = api.get(f"/api/sessions/?parent={child['id']}").json()["results"]
    assert [s["id"] for s in forks] == [grandchild["id"]]

    assert api.delete(f"/api/sessions/{child['id']}/").status_code == 204
    orphan = api.get(f"/api/sessions/{grandchild['id']}/").json()
    assert orphan["parent"] is None and orphan["forked_at"] == 7
    assert len(events_of(grandchild["id"])) == 7
    versions = api.get(f"/api/sessions/{grandchild['id']}/versions/").json()
    assert versions["original"] == str(three_turns.id)
    assert {s["id"] for s in versions["sessions"]} == {
        str(three_turns.id),
        grandchild["id"],
    }
    assert api.delete(f"/api/sessions/{three_turns.id}/").status_code == 204
    assert len(events_of(grandchild["id"])) == 7


def test_exports_of_a_fork_name_its_parent_and_the_point_it_was_forked(
    api, three_turns
):
    fork = api.post(
        f"/api/sessions/{three_turns.id}/fork/", {"at": 7}, format="json"
    ).json()
    document = api.get(f"/api/sessions/{fork['id']}/export/?format=json").json()
    assert document["session"]["parent"] == str(three_turns.id)
    assert document["session"]["forked_at"] == 7
    assert len(document["events"]) == 7
    markdown = api.get(f"/api/sessions/{fork['id']}/export/?format=md").content.decode()
    assert f"Forked from session `{three_turns.id}` after event 7" in markdown
    original = api.get(f"/api/sessions/{three_turns.id}/export/?format=json").json()
    assert original["session"]["parent"] is None
