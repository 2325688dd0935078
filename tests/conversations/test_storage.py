"""The transcript's promises at the storage level, on SQLite and PostgreSQL:
gapless unique seqs under concurrency, one running run per session, policies,
client_id idempotency, and runs finished with their run_finished."""

import pytest

from agents.events import Info, RunFinished
from conversations.engine.admission import (
    RunInProgress,
    admit_message,
    promote_next_queued,
)
from conversations.engine.storage import finish_run, interrupt_run, write_batch
from conversations.models import Event, Run
from tests.factories import new_session
from tests.threads import in_threads

STALE = 60.0


def test_seqs_stay_gapless_and_unique_with_many_writers_on_many_sessions(alice):
    sessions = [new_session(alice) for _ in range(3)]

    def write(i: int) -> None:
        session = sessions[i % len(sessions)]
        for n in range(10):
            write_batch(session.id, None, [Info(f"w{i}-{n}-{k}") for k in range(3)])

    results = in_threads(6, write)
    assert not [r for r in results if isinstance(r, Exception)]
    for session in sessions:
        seqs = list(Event.objects.for_session(session.id).values_list("seq", flat=True))
        assert seqs == list(range(1, 61))
        session.refresh_from_db()
        assert session.last_seq == 60


def test_stored_batch_reads_back_as_the_envelopes_it_returned(alice_session):
    """The bulk write path (COPY, or executemany) stores what the ORM would."""
    run = admit_message(alice_session.id, "hi", None, "reject", STALE)
    data = [Info("plain"), Info('quote " backslash \\ ünïcode 🙂'), Info("x" * 5000)]
    returned = write_batch(alice_session.id, run.run_id, data)
    stored = Event.objects.for_session(alice_session.id).filter(seq__gt=run.seq)
    assert [event.envelope() for event in stored.order_by("seq")] == returned
    assert [e["data"]["text"] for e in returned] == [e.text for e in data]


def test_two_concurrent_starts_make_exactly_one_run_and_reject_the_other(alice_session):
    results = in_threads(
        2, lambda i: admit_message(alice_session.id, f"hi {i}", None, "reject", STALE)
    )
    admitted = [r for r in results if not isinstance(r, Exception)]
    rejected = [r for r in results if isinstance(r, RunInProgress)]
    assert len(admitted) == 1 and len(rejected) == 1
    assert Run.objects.filter(session=alice_session).count() == 1
    assert Event.objects.for_session(alice_session.id).count() == 1


def test_enqueue_policy_queues_the_second_message_and_promotes_it_in_order(
    alice_session,
):
    first = admit_message(alice_session.id, "one", None, "enqueue", STALE)
    second = admit_message(alice_session.id, "two", None, "enqueue", STALE)
    third = admit_message(alice_session.id, "three", None, "enqueue", STALE)
    assert (first.status, second.status, third.status) == (
        "running",
        "queued",
        "queued",
    )
    assert promote_next_queued(alice_session.id) is None  # one is still running
    finish_run(first.run_id, alice_session.id, [], RunFinished("succeeded", 1.0))
    assert promote_next_queued(alice_session.id) == second.run_id
    finish_run(second.run_id, alice_session.id, [], RunFinished("succeeded", 1.0))
    assert promote_next_queued(alice_session.id) == third.run_id


def test_a_message_arriving_before_the_queue_is_promoted_goes_behind_it(
    alice_session,
):
    """The finishing process promotes the queue a moment after `finish_run`; a
    message admitted in between must not jump ahead of the queued one."""
    first = admit_message(alice_session.id, "one", None, "enqueue", STALE)
    second = admit_message(alice_session.id, "two", None, "enqueue", STALE)
    finish_run(first.run_id, alice_session.id, [], RunFinished("succeeded", 1.0))
    third = admit_message(alice_session.id, "three", None, "enqueue", STALE)
    assert third.status == "queued"
    assert third.promoted_run_id == second.run_id
    assert Run.objects.get(pk=second.run_id).status == "running"
    assert promote_next_queued(alice_session.id) is None  # the finisher's late try
    finish_run(second.run_id, alice_session.id, [], RunFinished("succeeded", 1.0))
    assert promote_next_queued(alice_session.id) == third.run_id


def test_interrupt_policy_flags_the_active_run_for_cancel_and_queues_the_new_one(
    alice_session,
):
    first = admit_message(alice_session.id, "one", None, "interrupt", STALE)
    second = admit_message(alice_session.id, "two", None, "interrupt", STALE)
    assert second.status == "queued"
    assert second.interrupted_run_id == first.run_id
    assert Run.objects.get(pk=first.run_id).cancel_requested


def test_repeated_client_id_starts_nothing_and_returns_the_original_admission(
    alice_session,
):
    first = admit_message(alice_session.id, "hello", "c-1", "reject", STALE)
    again = admit_message(alice_session.id, "hello", "c-1", "reject", STALE)
    assert again.duplicate
    assert (again.run_id, again.seq) == (first.run_id, first.seq)
    assert Run.objects.filter(session=alice_session).count() == 1
    message = Event.objects.get(session=alice_session, seq=first.seq)
    assert message.data == {"text": "hello", "client_id": "c-1"}


def test_first_message_names_the_session(alice_session):
    admit_message(
        alice_session.id, "What is the capital of France?", None, "reject", STALE
    )
    alice_session.refresh_from_db()
    assert alice_session.title == "What is the capital of France?"


def test_finished_run_stores_run_finished_with_its_status_in_one_step(alice_session):
    admission = admit_message(alice_session.id, "hi", None, "reject", STALE)
    frames = finish_run(
        admission.run_id,
        alice_session.id,
        [Info("done")],
        RunFinished("succeeded", 5.0, {"input_tokens": 3, "output_tokens": 4}),
    )
    assert [f["type"] for f in frames] == ["info", "run_finished"]
    run = Run.objects.get(pk=admission.run_id)
    assert run.status == "succeeded"
    assert (run.input_tokens, run.output_tokens) == (3, 4)
    assert run.last_seq == frames[-1]["seq"]
    again = finish_run(
        admission.run_id, alice_session.id, [], RunFinished("failed", 1.0)
    )
    assert again == []  # a run finishes once
    assert Event.objects.filter(session=alice_session, type="run_finished").count() == 1


def test_stale_running_run_is_interrupted_when_the_next_message_arrives(alice_session):
    first = admit_message(alice_session.id, "one", None, "reject", STALE)
    Run.objects.filter(pk=first.run_id).update(
        heartbeat_at=Run.objects.get(pk=first.run_id).heartbeat_at.replace(year=2000)
    )
    second = admit_message(alice_session.id, "two", None, "reject", STALE)
    assert second.status == "running"
    first_run = Run.objects.get(pk=first.run_id)
    assert first_run.status == "interrupted"
    finished = Event.objects.get(
        session=alice_session, run_id=first.run_id, type="run_finished"
    )
    assert finished.data["status"] == "interrupted"


def test_interrupting_an_unknown_run_does_nothing(transactional_db):
    import uuid

    assert interrupt_run(uuid.uuid4(), "gone") == []


@pytest.mark.parametrize("policy", ["reject", "enqueue", "interrupt"])
def test_session_deleted_with_its_runs_and_events(alice_session, policy):
    admit_message(alice_session.id, "one", None, policy, STALE)
    alice_session.delete()
    assert not Run.objects.exists()
    assert not Event.objects.exists()
