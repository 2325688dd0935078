"""An approved call runs at most once when servers die at each point of its path.

Two real daphne processes share the test's database (and, in the services run,
Redis). The `gated` test agent asks for one `side_effect` call per message: it
appends a line to a file, so the test counts how often it really happened. A
server is SIGKILLed with the approval stored, with the call running, and with
its result stored; the decision made with no process left to drive the run is
the state a crash right after the decision leaves. Afterwards the side effect
happened exactly once or the call is in doubt, never twice, and every run ends
with one `run_finished`.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest

from conversations.engine import approvals
from conversations.models import Approval, Event, Run
from tests.factories import new_session
from tests.faults.test_server_crash import FAST_RECOVERY, wait_for
from tests.live_client import post_message
from tests.servers import ServerProcess
from tests.slow_agents import ANSWER_SECONDS, SIDE_EFFECT_FILE, SIDE_EFFECT_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def effects(tmp_path):
    path = tmp_path / "effects.txt"
    path.touch()
    return path


def happened(path) -> list[str]:
    return path.read_text().splitlines()


def servers(env: dict, count: int = 2) -> list[ServerProcess]:
    return [ServerProcess(env=env).start() for _ in range(count)]


def kill(server: ServerProcess) -> None:
    server.signal(signal.SIGKILL)
    server.process.wait(timeout=10)


def resolve(server: ServerProcess, token: str, approval, decision="approve") -> int:
    request = urllib.request.Request(
        f"{server.base_url}/api/approvals/{approval}/resolve/",
        data=json.dumps({"decision": decision}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def pending_approval(server, session, token, text: str) -> tuple[str, Approval]:
    """Send `text`; return its run once its call waits, with the approval."""
    run = post_message(server, session.id, token, text)["run"]
    wait_for(lambda: Run.objects.get(pk=run).status == "awaiting_approval")
    return run, Approval.objects.get(run_id=run)


def one_finish(run) -> str:
    """The run's status, after checking it has exactly one run_finished."""
    finished = Event.objects.filter(run_id=run, type="run_finished")
    assert finished.count() == 1
    return finished.get().data["status"]


def gapless(session) -> bool:
    seqs = list(Event.objects.for_session(session.id).values_list("seq", flat=True))
    return seqs == list(range(1, len(seqs) + 1))


def outcome(run) -> dict:
    return Event.objects.get(run_id=run, type__in=("tool_result", "tool_error")).data


def test_the_server_that_asked_dies_and_another_decides_and_runs_it_once(
    server_env, alice, alice_token, effects
):
    env = {**server_env, **FAST_RECOVERY, SIDE_EFFECT_FILE: str(effects)}
    first, second = servers(env)
    try:
        session = new_session(alice, "gated")
        run, approval = pending_approval(first, session, alice_token, "pay bob")
        kill(first)
        time.sleep(2 * float(FAST_RECOVERY["RUN_STALE_SECONDS"]))
        assert Run.objects.get(pk=run).status == "awaiting_approval"  # no heartbeat

        assert resolve(second, alice_token, approval.pk) == 200

        wait_for(lambda: Run.objects.get(pk=run).status == "succeeded")
        assert happened(effects) == ["pay bob"]
        assert one_finish(run) == "succeeded" and gapless(session)
        assert Approval.objects.get(pk=approval.pk).execution == "done"
    finally:
        second.stop()


def test_a_decision_no_process_got_to_drive_leaves_the_call_not_run(
    server_env, alice, alice_token, effects
):
    env = {**server_env, **FAST_RECOVERY, SIDE_EFFECT_FILE: str(effects)}
    (server,) = servers(env, 1)
    try:
        session = new_session(alice, "gated")
        run, approval = pending_approval(server, session, alice_token, "pay bob")
        # Stored and committed here, in a process that then drives nothing: as a
        # server dying right after it stored the decision.
        outcome_of = approvals.decide(approval.pk, alice, True)
        assert outcome_of.resume is not None

        wait_for(lambda: Run.objects.get(pk=run).status == "interrupted")
        assert happened(effects) == []
        error = outcome(run)
        assert "before the call started" in error["error"]
        assert one_finish(run) == "interrupted" and gapless(session)
    finally:
        server.stop()


def test_the_server_running_the_call_dies_and_the_call_is_in_doubt_not_repeated(
    server_env, alice, alice_token, effects
):
    env = {
        **server_env,
        **FAST_RECOVERY,
        SIDE_EFFECT_FILE: str(effects),
        SIDE_EFFECT_SECONDS: "8",
    }
    first, second = servers(env)
    try:
        session = new_session(alice, "gated")
        run, approval = pending_approval(first, session, alice_token, "pay bob")
        assert resolve(first, alice_token, approval.pk) == 200
        wait_for(lambda: happened(effects) == ["pay bob"])  # mid-call
        kill(first)

        wait_for(lambda: Run.objects.get(pk=run).status == "interrupted")
        error = outcome(run)
        assert error["code"] == "in_doubt"
        assert Approval.objects.get(pk=approval.pk).execution == "in_doubt"
        time.sleep(3 * float(FAST_RECOVERY["RUN_SWEEP_SECONDS"]))
        assert happened(effects) == ["pay bob"]  # never run again by itself
        assert one_finish(run) == "interrupted" and gapless(session)
    finally:
        second.stop()


def test_the_server_dies_after_the_result_is_stored_and_nothing_runs_twice(
    server_env, alice, alice_token, effects
):
    env = {
        **server_env,
        **FAST_RECOVERY,
        SIDE_EFFECT_FILE: str(effects),
        ANSWER_SECONDS: "8",
    }
    first, second = servers(env)
    try:
        session = new_session(alice, "gated")
        run, approval = pending_approval(first, session, alice_token, "pay bob")
        assert resolve(first, alice_token, approval.pk) == 200
        wait_for(lambda: Event.objects.filter(run_id=run, type="tool_result").exists())
        assert Approval.objects.get(pk=approval.pk).execution == "done"
        kill(first)  # while the model writes its answer

        wait_for(lambda: Run.objects.get(pk=run).status == "interrupted")
        assert happened(effects) == ["pay bob"]
        assert outcome(run) == {
            **outcome(run),
            "call_id": approval.call_id,
            "result": "done",
        }
        assert one_finish(run) == "interrupted" and gapless(session)
        # The session is usable again: the next message asks again.
        run2, _ = pending_approval(second, session, alice_token, "pay carol")
        assert Run.objects.get(pk=run2).status == "awaiting_approval"
    finally:
        second.stop()


def test_decisions_racing_on_two_instances_run_the_call_once(
    server_env, alice, alice_token, effects
):
    env = {**server_env, **FAST_RECOVERY, SIDE_EFFECT_FILE: str(effects)}
    first, second = servers(env)
    try:
        session = new_session(alice, "gated")
        run, approval = pending_approval(first, session, alice_token, "pay bob")
        answers: list[int] = []
        start = threading.Barrier(4)

        def decide(server: ServerProcess) -> None:
            start.wait()
            answers.append(resolve(server, alice_token, approval.pk))

        racers = [
            threading.Thread(target=decide, args=(server,))
            for server in (first, second, first, second)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()

        assert sorted(answers) == [200, 409, 409, 409]
        wait_for(lambda: Run.objects.get(pk=run).status == "succeeded")
        assert happened(effects) == ["pay bob"]
        resolved = Event.objects.filter(run_id=run, type="approval_resolved")
        assert resolved.count() == 1
        assert one_finish(run) == "succeeded" and gapless(session)
    finally:
        first.stop()
        second.stop()
