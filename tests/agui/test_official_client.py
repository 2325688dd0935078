"""The AG-UI endpoint driven by the official client, npm's @ag-ui/client 1.0.0
(pinned in tests/agui/client/package-lock.json, installed by `make test`).

The client enforces the event schema and verifies the stream (order, every
bracket closed, nothing after the run ends) on each event, and builds its
messages and state from what it is sent: these tests prove that a real client
accepts our streams, without warnings, for a plain run, a tool run, a
cancelled run, an approval interrupt and its resume, and a stream cut mid-run
and continued with Last-Event-ID, and that it ends with the thread we stored.
Two of them pin defects they found, since fixed: a stream joined before the
run's first step lost the user's message, and one joining a run that already
waited for approval left out the events stored after Last-Event-ID.
The client is not optional here: without node or the installed client the
tests fail, they do not skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections import Counter

import pytest

from conversations.agui import history
from conversations.models import Approval, ChatSession
from tests.servers import PROJECT_DIR, ServerProcess

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_DIR = PROJECT_DIR / "tests" / "agui" / "client"
CLIENT_TIMEOUT = 60
GEO_QUESTION = "What is the capital of France?"
APPROVE = {"status": "resolved", "payload": {"decision": "approve"}}


@pytest.fixture
def node() -> str:
    """The node binary, with the pinned client installed beside drive.mjs."""
    binary = shutil.which("node")
    if binary is None:
        pytest.fail(
            "node is missing: install Node.js, then `make test` installs the client"
        )
    if not (CLIENT_DIR / "node_modules" / "@ag-ui" / "client").is_dir():
        pytest.fail(
            "@ag-ui/client is not installed in tests/agui/client: `make test` installs"
            " it (npm ci there)"
        )
    return binary


@pytest.fixture
def slow_server(server_env):
    """A server whose agents wait between steps, so runs are still going when
    a test cuts or joins them."""
    with ServerProcess(env={**server_env, "AGENT_STEP_DELAY": "0.5"}) as server:
        yield server


def start(node: str, server: ServerProcess, token: str, **options) -> subprocess.Popen:
    """drive.mjs running one thread (a new one unless `threadId` is given)."""
    options = {
        "url": server.base_url,
        "token": token,
        "threadId": str(uuid.uuid4()),
        "agent": "assistant",
        **options,
    }
    return subprocess.Popen(
        [node, "drive.mjs", json.dumps(options)],
        cwd=CLIENT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def report(process: subprocess.Popen) -> dict:
    """What the client saw and made of it; the test fails on any error the
    client raised (a malformed stream is an AGUIError) or warning it gave."""
    try:
        out, err = process.communicate(timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the client did not finish in {CLIENT_TIMEOUT}s: {err}")
    if not out:
        pytest.fail(f"the client reported nothing (exit {process.returncode}): {err}")
    result = json.loads(out)
    errors = [run["error"] for run in result["runs"] if run["error"]]
    assert process.returncode == 0 and not errors, f"{errors}\n{err}"
    assert not result["warnings"], result["warnings"]
    return result


def drive(node: str, server: ServerProcess, token: str, **options) -> dict:
    return report(start(node, server, token, **options))


def events(run: dict) -> list[dict]:
    return [e["event"] for e in run["events"]]


def types(run: dict) -> list[str]:
    return [e["type"] for e in events(run)]


def seq(event_id: str) -> int:
    """The stored event an SSE id names (a delta's `<seq>.<n>` is after it)."""
    return int(event_id.partition(".")[0])


def by_role(messages: list[dict]) -> Counter:
    """How many messages of each kind, tool calls counted apart from answers."""
    return Counter("tool_call" if m.get("toolCalls") else m["role"] for m in messages)


def stored_messages(thread: str) -> list[dict]:
    """The stored transcript as AG-UI messages, named as the streams name them."""
    session = ChatSession.objects.get(pk=thread)
    thread_now = history.thread_at(thread, session.last_seq)
    return [
        m.model_dump(mode="json", by_alias=True, exclude_none=True)
        for m in thread_now.messages
    ]


def test_a_plain_run(node, live_server_process, alice_token):
    result = drive(node, live_server_process, alice_token, text="hello")

    (run,) = result["runs"]
    seen = types(run)
    assert seen[:2] == ["RUN_STARTED", "STATE_SNAPSHOT"]
    assert seen[-1] == "RUN_FINISHED"
    assert events(run)[-1]["outcome"] == {"type": "success"}
    assert all(e["id"] is not None for e in run["events"])
    assert [m["role"] for m in result["messages"]] == ["user", "reasoning", "assistant"]
    assert result["messages"][-1]["content"].startswith("Hello")


def test_a_tool_run(node, live_server_process, alice_token):
    thread = str(uuid.uuid4())
    result = drive(
        node, live_server_process, alice_token, threadId=thread, text="add 2 and 2"
    )

    messages = result["messages"]
    (call_message,) = [m for m in messages if m.get("toolCalls")]
    (call,) = call_message["toolCalls"]
    assert call["function"]["name"] == "add"
    assert json.loads(call["function"]["arguments"]) == {"a": 2, "b": 2}
    (tool,) = [m for m in messages if m["role"] == "tool"]
    assert tool["toolCallId"] == call["id"] and tool["content"] == "4"
    answer = messages[-1]
    assert answer["role"] == "assistant" and "4" in answer["content"]
    assert messages == stored_messages(thread)


def test_a_cancelled_run(node, live_server_process, alice_token):
    """Cancelled through REST while its answer streams (the `slow` test agent
    writes a word every 50 ms): the open answer is closed before the run ends,
    as the verifier demands, and is what was stored."""
    thread = str(uuid.uuid4())
    result = drive(
        node,
        live_server_process,
        alice_token,
        threadId=thread,
        agent="slow",
        text="take your time",
        cancelAt="TEXT_MESSAGE_CONTENT",
    )

    (run,) = result["runs"]
    assert types(run)[-2:] == ["TEXT_MESSAGE_END", "RUN_FINISHED"]
    assert events(run)[-1]["outcome"] == {"type": "cancelled"}
    assert result["messages"][-1]["role"] == "assistant"  # the partial answer
    assert result["messages"] == stored_messages(thread)


def test_an_approval_interrupt_and_its_resume(node, live_server_process, alice_token):
    thread = str(uuid.uuid4())
    result = drive(
        node,
        live_server_process,
        alice_token,
        threadId=thread,
        agent="notes",
        text="Save a note: call the bank",
        resume=APPROVE,
    )

    asked, resumed = result["runs"]
    approval = Approval.objects.get(session_id=thread)
    (interrupt,) = asked["pendingInterrupts"]
    assert interrupt["id"] == str(approval.pk)
    assert interrupt["toolCallId"] == approval.call_id
    assert events(asked)[-1]["outcome"]["interrupts"] == [interrupt]
    assert events(resumed)[0]["runId"] == events(asked)[0]["runId"]
    assert events(resumed)[-1]["outcome"] == {"type": "success"}
    assert resumed["pendingInterrupts"] == []

    (tool,) = [m for m in result["messages"] if m["role"] == "tool"]
    assert tool["toolCallId"] == approval.call_id
    assert json.loads(tool["content"])["saved"] == "call the bank"
    approval.refresh_from_db()
    assert approval.status == Approval.Status.APPROVED
    assert result["messages"] == stored_messages(thread)


def test_a_stream_cut_mid_run_and_resumed(node, slow_server, alice_token):
    """Cut after the first TOOL_CALL_END, then continued with Last-Event-ID
    while the run still works: the client ends with the messages of a client
    that was never cut, each once, which are the stored transcript."""
    cut_thread = str(uuid.uuid4())
    cut = start(
        node,
        slow_server,
        alice_token,
        threadId=cut_thread,
        agent="geo",
        text=GEO_QUESTION,
        cutAt="TOOL_CALL_END",
    )
    whole = start(node, slow_server, alice_token, agent="geo", text=GEO_QUESTION)
    cut, whole = report(cut), report(whole)

    before, after = cut["runs"]
    assert types(before)[-2:] == ["TOOL_CALL_END", "RUN_ERROR"]
    assert events(before)[-1]["code"] == "abort"  # the client's word for the cut
    cut_id = before["events"][-2]["id"]
    assert types(after)[:3] == ["RUN_STARTED", "MESSAGES_SNAPSHOT", "STATE_SNAPSHOT"]
    assert [t for t in types(after) if t.startswith("TOOL_CALL")] == [
        "TOOL_CALL_RESULT"
    ]
    assert all(seq(e["id"]) > seq(cut_id) for e in after["events"][3:])

    assert cut["messages"] == whole["messages"]
    assert by_role(cut["messages"]) == {
        "user": 1,
        "reasoning": 2,
        "tool_call": 1,
        "tool": 1,
        "assistant": 1,
    }
    assert "Paris" in cut["messages"][-1]["content"]
    assert cut["messages"] == stored_messages(cut_thread)


def test_a_stream_cut_before_the_first_step_keeps_the_users_message(
    node, live_server_process, alice_token
):
    thread = str(uuid.uuid4())
    result = drive(
        node,
        live_server_process,
        alice_token,
        threadId=thread,
        agent="geo",
        text=GEO_QUESTION,
        cutAt="STATE_SNAPSHOT",
    )

    assert by_role(result["messages"])["user"] == 1
    assert result["messages"] == stored_messages(thread)


def test_a_client_joining_a_run_that_waits_gets_what_it_missed(
    node, live_server_process, alice_token
):
    thread = str(uuid.uuid4())
    notes = {"threadId": thread, "agent": "notes", "text": "Save a note: buy milk"}
    (asked,) = drive(node, live_server_process, alice_token, **notes)["runs"]
    thought = next(
        e["id"] for e in asked["events"] if e["event"]["type"] == "REASONING_END"
    )

    # Another client that had seen the run up to its first thought.
    result = drive(node, live_server_process, alice_token, lastEventId=thought, **notes)

    (joined,) = result["runs"]
    assert events(joined)[-1]["outcome"]["type"] == "interrupt"
    assert result["messages"] == stored_messages(thread)
