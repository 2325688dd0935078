"""A server killed mid-run loses nothing it stored, and the session recovers."""

import signal
import time

import pytest

from conversations.models import Event, Run
from tests.factories import new_session
from tests.live_client import post_message
from tests.servers import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST_RECOVERY = {
    "AGENT_STEP_DELAY": "0.4",
    "RUN_HEARTBEAT_SECONDS": "0.3",
    "RUN_STALE_SECONDS": "1.5",
    "RUN_SWEEP_SECONDS": "0.5",
}


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_sigkill_mid_run_keeps_stored_events_and_next_message_is_answered(
    server_env, alice, alice_token
):
    session = new_session(alice, "math")
    env = {**server_env, **FAST_RECOVERY}
    first = ServerProcess(env=env).start()
    accepted = post_message(first, session.id, alice_token, "what is (3 + 4) * 5?")
    wait_for(lambda: Event.objects.filter(session=session, type="tool_call").exists())
    first.signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    before = list(
        Event.objects.for_session(session.id).values_list("seq", "type", "data")
    )
    assert Run.objects.get(pk=accepted["run"]).status == "running"

    second = ServerProcess(env=env).start()
    try:
        wait_for(lambda: Run.objects.get(pk=accepted["run"]).status == "interrupted")
        after = list(
            Event.objects.for_session(session.id).values_list("seq", "type", "data")
        )
        assert after[: len(before)] == before  # nothing stored was lost or changed
        finished = after[len(before) :]
        assert [(t, d["status"]) for _, t, d in finished] == [
            ("run_finished", "interrupted")
        ]

        again = post_message(second, session.id, alice_token, "add 2 and 2")
        wait_for(lambda: Run.objects.get(pk=again["run"]).status == "succeeded")
        final = Event.objects.get(session=session, run_id=again["run"], type="final")
        assert "4" in final.data["text"]
        seqs = list(Event.objects.for_session(session.id).values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        second.stop()
