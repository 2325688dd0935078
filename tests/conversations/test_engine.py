"""The run engine end to end, in process: store, publish, policies, cancel, failures."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from agents.events import PERSISTED_TYPES, Delta, RunFinished, to_wire
from conversations.engine import runner
from conversations.engine.admission import RunInProgress, admit_message
from conversations.engine.service import (
    cancel_active_run,
    recover_stale_runs,
    submit_message,
    wait_for_run,
)
from conversations.engine.storage import finish_run
from conversations.models import Event, Run
from conversations.usage import priced
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)


async def stored(session_id) -> list[dict]:
    @database_sync_to_async
    def read():
        return [
            e.envelope() for e in Event.objects.for_session(session_id).order_by("seq")
        ]

    return await read()


async def run_of(run_id) -> Run:
    return await Run.objects.aget(pk=run_id)


async def wait_until(predicate, limit: float = 10.0) -> None:
    """Poll the database until `predicate()` holds (runs change rows, not events)."""
    async with asyncio.timeout(limit):
        while not await predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_events_read_back_equal_the_events_the_agent_yielded(alice, monkeypatch):
    yielded = []
    real_build = runner.build_agent

    async def recording_build(spec):
        agent = await real_build(spec)
        original_run = agent.run

        async def run(*args):
            async for event in original_run(*args):
                yielded.append(event)
                yield event

        agent.run = run
        return agent

    monkeypatch.setattr(runner, "build_agent", recording_build)
    session = await anew_session(alice, "math")
    admission = await submit_message(session.id, "math", "what is (3 + 4) * 5?")
    await wait_for_run(admission.run_id)
    envelopes = await stored(session.id)
    assert envelopes[0]["type"] == "user_message"
    expected = [to_wire(e) for e in yielded if not isinstance(e, Delta)]
    # The engine prices the run's usage as it stores its end (no price here).
    expected[-1]["data"]["usage"] = await database_sync_to_async(priced)(
        expected[-1]["data"]["usage"], timezone.now()
    )
    got = [{"type": e["type"], "data": e["data"]} for e in envelopes[1:]]
    assert got == expected
    assert {e["type"] for e in envelopes} <= PERSISTED_TYPES
    assert "35" in next(e for e in envelopes if e["type"] == "final")["data"]["text"]
    assert [e["seq"] for e in envelopes] == list(range(1, len(envelopes) + 1))


async def test_many_sessions_running_at_once_keep_seqs_gapless(alice, bob):
    sessions = [await anew_session(user, "assistant") for user in (alice, bob) * 4]
    admissions = await asyncio.gather(
        *(submit_message(s.id, "assistant", "what is (3 + 4) * 5?") for s in sessions)
    )
    await asyncio.gather(*(wait_for_run(a.run_id) for a in admissions))
    for session in sessions:
        envelopes = await stored(session.id)
        assert [e["seq"] for e in envelopes] == list(range(1, len(envelopes) + 1))
        assert envelopes[-1]["type"] == "run_finished"
        assert envelopes[-1]["data"]["status"] == "succeeded"


async def test_second_message_during_a_run_is_rejected_under_reject_policy(
    alice, test_agents
):
    session = await anew_session(alice, "slow")
    results = await asyncio.gather(
        submit_message(session.id, "slow", "one"),
        submit_message(session.id, "slow", "two"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, RunInProgress) for r in results) == 1
    admitted = next(r for r in results if not isinstance(r, Exception))
    await cancel_active_run(session.id, "alice")
    await wait_for_run(admitted.run_id)
    assert await Run.objects.filter(session=session).acount() == 1


async def test_enqueue_policy_runs_queued_messages_in_order(alice):
    session = await anew_session(alice, "calculator")
    questions = ["add 1 and 1", "add 2 and 2", "add 3 and 3"]
    admissions = [await submit_message(session.id, "calculator", q) for q in questions]
    for admission in admissions:
        await wait_until(
            lambda a=admission: _finished(a.run_id),
        )
    envelopes = await stored(session.id)
    finals = [e["data"]["text"] for e in envelopes if e["type"] == "final"]
    assert [("2" in finals[0]), ("4" in finals[1]), ("6" in finals[2])] == [True] * 3, (
        envelopes
    )
    started = [e["run"] for e in envelopes if e["type"] == "run_started"]
    assert started == [str(a.run_id) for a in admissions]


async def _finished(run_id) -> bool:
    return (await run_of(run_id)).status in Run.FINISHED


async def test_interrupt_policy_cancels_the_active_run_then_runs_the_new_one(
    alice, test_agents
):
    session = await anew_session(alice, "slow-interrupt")
    first = await submit_message(session.id, "slow-interrupt", "one")
    await asyncio.sleep(0.2)
    second = await submit_message(session.id, "slow-interrupt", "two")
    assert second.status == "queued"
    await wait_until(lambda: _finished(first.run_id))
    assert (await run_of(first.run_id)).status == "cancelled"
    await wait_until(lambda: _finished(second.run_id))
    assert (await run_of(second.run_id)).status == "succeeded"


async def test_cancel_keeps_the_partial_answer_and_finishes_cancelled(
    alice, test_agents
):
    session = await anew_session(alice, "slow")
    admission = await submit_message(session.id, "slow", "talk to me")
    await asyncio.sleep(0.3)
    assert await cancel_active_run(session.id, "alice") == admission.run_id
    await wait_for_run(admission.run_id)
    envelopes = await stored(session.id)
    final = [e for e in envelopes if e["type"] == "final"]
    assert len(final) == 1 and final[0]["data"]["partial"] is True
    assert final[0]["data"]["text"].startswith("word0 word1")
    assert [e["type"] for e in envelopes].count("run_finished") == 1
    assert envelopes[-1]["data"]["status"] == "cancelled"
    assert (await run_of(admission.run_id)).status == "cancelled"


async def test_model_error_ends_the_run_failed_with_a_clear_error(alice, test_agents):
    session = await anew_session(alice, "broken-model")
    admission = await submit_message(session.id, "broken-model", "hello")
    await wait_for_run(admission.run_id)
    envelopes = await stored(session.id)
    error = next(e for e in envelopes if e["type"] == "error")
    assert error["data"] == {"code": "unavailable", "message": "model is down"}
    assert envelopes[-1]["data"]["status"] == "failed"
    run = await run_of(admission.run_id)
    assert (run.status, run.error) == ("failed", "model is down")


async def test_session_whose_agent_is_gone_gets_a_failed_run_with_a_clear_error(alice):
    session = await anew_session(alice, "retired-agent")
    admission = await submit_message(session.id, "retired-agent", "hello")
    await wait_for_run(admission.run_id)
    envelopes = await stored(session.id)
    assert [e["type"] for e in envelopes] == ["user_message", "error", "run_finished"]
    assert "retired-agent" in envelopes[1]["data"]["message"]
    assert envelopes[-1]["data"]["status"] == "failed"


async def test_time_limit_ends_the_run_failed(alice, test_agents, settings):
    settings.RUN_TIME_LIMIT_SECONDS = 0.3
    session = await anew_session(alice, "slow")
    admission = await submit_message(session.id, "slow", "talk for long")
    await wait_for_run(admission.run_id)
    envelopes = await stored(session.id)
    assert envelopes[-2]["data"]["code"] == "time_limit"
    assert envelopes[-1]["data"]["status"] == "failed"


async def test_stale_run_is_interrupted_by_the_sweep_and_the_queue_moves_on(
    alice, settings
):
    session = await anew_session(alice, "calculator")
    admit = database_sync_to_async(admit_message)
    dead = await admit(session.id, "add 1 and 1", None, "enqueue", 60)
    waiting = await admit(session.id, "add 2 and 2", None, "enqueue", 60)
    settings.RUN_STALE_SECONDS = 0.0
    await asyncio.sleep(0.01)
    assert await recover_stale_runs() == 1
    assert (await run_of(dead.run_id)).status == "interrupted"
    await wait_for_run(waiting.run_id)
    envelopes = await stored(session.id)
    statuses = [e["data"]["status"] for e in envelopes if e["type"] == "run_finished"]
    assert statuses == ["interrupted", "succeeded"]


async def test_the_sweep_starts_a_queue_whose_finisher_died_before_promoting_it(
    alice,
):
    session = await anew_session(alice, "calculator")
    admit = database_sync_to_async(admit_message)
    first = await admit(session.id, "add 1 and 1", None, "enqueue", 60)
    waiting = await admit(session.id, "add 2 and 2", None, "enqueue", 60)
    finished = RunFinished("succeeded", 1.0)
    await database_sync_to_async(finish_run)(first.run_id, session.id, [], finished)
    assert await recover_stale_runs() == 0
    await wait_for_run(waiting.run_id)
    assert (await run_of(waiting.run_id)).status == "succeeded"


async def test_the_process_heartbeat_keeps_runs_fresh_and_reads_cancels_from_the_db(
    alice, test_agents, settings
):
    """The fallback path of cancel: a flag in the database, no layer message."""
    settings.RUN_HEARTBEAT_SECONDS = 0.05
    session = await anew_session(alice, "slow")
    admission = await submit_message(session.id, "slow", "talk to me")
    admitted_at = (await run_of(admission.run_id)).heartbeat_at

    async def beaten() -> bool:
        return (await run_of(admission.run_id)).heartbeat_at > admitted_at

    await wait_until(beaten)
    await Run.objects.filter(pk=admission.run_id).aupdate(cancel_requested=True)
    await wait_for_run(admission.run_id)
    assert (await run_of(admission.run_id)).status == "cancelled"


async def test_runs_beyond_the_process_concurrency_wait_for_a_slot(
    alice, test_agents, settings
):
    settings.RUN_CONCURRENCY = 1
    sessions = [await anew_session(alice, "slow") for _ in range(3)]
    working, waiting, dropped = [
        await submit_message(s.id, "slow", "talk to me") for s in sessions
    ]
    await asyncio.sleep(0.3)
    # Admitted and `running` to everyone else, but not at work yet.
    assert [e["type"] for e in await stored(sessions[1].id)] == ["user_message"]
    assert (await run_of(waiting.run_id)).status == "running"
    assert await cancel_active_run(sessions[2].id, "alice") == dropped.run_id
    await wait_for_run(dropped.run_id)
    assert (await run_of(dropped.run_id)).status == "cancelled"
    await wait_for_run(working.run_id)
    await wait_for_run(waiting.run_id)
    assert (await run_of(waiting.run_id)).status == "succeeded"


async def test_a_cancelled_run_keeps_the_tokens_its_finished_turns_used(
    alice, settings
):
    settings.AGENT_STEP_DELAY = 0.3
    session = await anew_session(alice, "math")
    admission = await submit_message(
        session.id, "math", "what is (1 + 2) * (3 + 4) + 5 * 6 - 7"
    )

    async def a_tool_has_answered() -> bool:
        return any(e["type"] == "tool_result" for e in await stored(session.id))

    await wait_until(a_tool_has_answered)
    assert await cancel_active_run(session.id, "alice") == admission.run_id
    await wait_for_run(admission.run_id)
    run = await run_of(admission.run_id)
    assert run.status == "cancelled"
    assert run.input_tokens > 0 and run.output_tokens > 0
    assert run.cancelled_by == "alice"
    finished = (await stored(session.id))[-1]
    assert finished["data"]["usage"] == await database_sync_to_async(priced)(
        run.usage, timezone.now()
    )
