"""MCP tools through the run engine: calls and results are ordinary stored
events, and a server that crashes, hangs, refuses or is given bad arguments
ends in a tool_error the run survives, never a hung or failed run."""

from __future__ import annotations

import json

import pytest

from conversations.engine.process import EngineProcess
from conversations.engine.service import resolve_approval, submit_message, wait_for_run
from conversations.models import Approval, Event, Run
from tests.factories import anew_session
from tests.slow_agents import MCP_TEST_SERVER

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def run(session, text: str) -> list[dict]:
    """Send `text` to the mcp-caller session, wait for the run; its events."""
    admission = await submit_message(session.id, "mcp-caller", text)
    await wait_for_run(admission.run_id)
    return [
        e.envelope()
        async for e in Event.objects.filter(run_id=admission.run_id).order_by("seq")
    ]


def of(events: list[dict], kind: str) -> list[dict]:
    return [e["data"] for e in events if e["type"] == kind]


async def test_a_call_and_its_structured_result_are_stored_events(alice, engine_mcp):
    session = await anew_session(alice, "mcp-caller")
    events = await run(session, 'mcp_test__lines {"count": 2}')
    (call,) = of(events, "tool_call")
    assert (call["tool"], call["args"]) == ("mcp_test__lines", {"count": 2})
    (result,) = of(events, "tool_result")
    assert result["result"] == {"result": ["line 1", "line 2"]}
    assert events[-1]["data"]["status"] == "succeeded"


async def test_a_crash_mid_call_is_a_tool_error_and_the_next_run_restarts_it(
    alice, engine_mcp
):
    session = await anew_session(alice, "mcp-caller")
    first = of(await run(session, "mcp_test__pid"), "tool_result")[0]["result"]
    events = await run(session, "mcp_test__crash")
    (error,) = of(events, "tool_error")
    assert "closed the connection during the call" in error["error"]
    assert events[-1]["data"]["status"] == "succeeded"  # the model heard why
    second = of(await run(session, "mcp_test__pid"), "tool_result")[0]["result"]
    assert second != first
    assert EngineProcess.current().mcp.connection(MCP_TEST_SERVER).starts == 2


async def test_a_hung_call_times_out_and_the_run_finishes(alice, engine_mcp):
    session = await anew_session(alice, "mcp-caller")
    events = await run(session, "mcp_test__hang")
    (error,) = of(events, "tool_error")
    assert error["error"] == "mcp_test__hang did not finish within 2 s"
    assert events[-1]["data"]["status"] == "succeeded"


async def test_an_error_result_and_bad_arguments_are_tool_errors(alice, engine_mcp):
    session = await anew_session(alice, "mcp-caller")
    (refused,) = of(
        await run(session, 'mcp_test__fail {"why": "closed"}'), "tool_error"
    )
    assert "refused: closed" in refused["error"]
    (invalid,) = of(await run(session, 'mcp_test__echo {"text": 5}'), "tool_error")
    assert invalid["error"].startswith("invalid arguments: argument 'text'")


async def test_approval_gates_an_mcp_call_and_the_approved_call_runs_once(
    alice, engine_mcp
):
    session = await anew_session(alice, "mcp-caller")
    args = {"room": "suite", "nights": 3}
    admission = await submit_message(
        session.id, "mcp-caller", f"mcp_test__book {json.dumps(args)}"
    )
    await wait_for_run(admission.run_id)
    approval = await Approval.objects.aget(run_id=admission.run_id)
    assert (approval.tool, approval.args) == ("mcp_test__book", args)
    await resolve_approval(approval.id, alice, True)
    await wait_for_run(admission.run_id)
    events = [
        e.envelope()
        async for e in Event.objects.filter(run_id=admission.run_id).order_by("seq")
    ]
    (result,) = of(events, "tool_result")
    assert result["result"] == {"room": "suite", "nights": 3, "breakfast": False}
    assert (await Run.objects.aget(pk=admission.run_id)).status == "succeeded"


async def test_runs_share_one_server_process(alice, bob, engine_mcp):
    sessions = [await anew_session(user, "mcp-caller") for user in (alice, bob, alice)]
    pids = {
        of(await run(session, "mcp_test__pid"), "tool_result")[0]["result"]["result"]
        for session in sessions
    }
    assert len(pids) == 1
    assert EngineProcess.current().mcp.connection(MCP_TEST_SERVER).starts == 1
