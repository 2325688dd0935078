"""Tool approval in the agent framework: a gated call stops the run with nothing
held in memory, and a run started again from its stored events and the
decisions does what was decided, each approved call once."""

from __future__ import annotations

import pytest

from agents.approval import ApprovalPolicy, open_calls
from agents.base import BaseAgent
from agents.events import (
    ApprovalRequested,
    ApprovalResolved,
    AwaitingApproval,
    Final,
    GatedCallStarting,
    RunFinished,
    ToolError,
    ToolResult,
)
from agents.llm.base import TextChunk, ToolCallRequest
from agents.mixins import SessionMixin
from agents.registry import DefinitionError, load_registry
from agents.stores import InMemoryHistoryStore, InMemoryStateStore, StateNamespace
from agents.tools import tool
from tests.agents.helpers import ScriptedModel, collect, context, types

SENT: list[str] = []


@tool
def send(to: str, text: str) -> str:
    """Send a message to someone.

    Args:
        to: Who gets it.
        text: What it says.
    """
    SENT.append(f"{to}: {text}")
    return "sent"


@tool(needs_approval=True)
def pay(amount: int) -> str:
    """Pay an amount.

    Args:
        amount: How much.
    """
    SENT.append(f"paid {amount}")
    return "paid"


@tool
def look(q: str) -> str:
    """Look something up.

    Args:
        q: What.
    """
    return f"found {q}"


@pytest.fixture(autouse=True)
def _clear_sent():
    SENT.clear()


class Remembering(BaseAgent, SessionMixin):
    pass


def _agent(model, tools=(send, pay, look), gated=("send",)) -> Remembering:
    return Remembering(
        list(tools),
        model,
        approval=ApprovalPolicy(gated),
        history_store=InMemoryHistoryStore(),
    )


def _persisted(events):
    return [e for e in events if e.type not in {"delta", *SIGNALS}]


SIGNALS = {"awaiting_approval", "gated_call_starting"}


def _decide(request: ApprovalRequested, decision="approved", args=None, reason=""):
    return ApprovalResolved(
        request.approval,
        request.call_id,
        decision,
        request.args if args is None else args,
        reason,
        "alice",
    )


async def _resume(agent, message, ctx, progress):
    """Start the run again as the engine does: from its stored events."""
    await agent.history_store.append(ctx.session_id, progress[-1:])
    return [e async for e in agent.run(message, ctx, progress=progress)]


async def test_a_gated_call_asks_and_the_run_stops_without_finishing():
    model = ScriptedModel([ToolCallRequest("c1", "send", {"to": "bob", "text": "hi"})])
    agent = _agent(model)

    events = await collect(agent, "tell bob hi")

    assert types(events) == [
        "run_started",
        "tool_call",
        "approval_requested",
        "awaiting_approval",
    ]
    request = events[2]
    assert (request.call_id, request.tool, request.approver) == ("c1", "send", "owner")
    assert request.args == {"to": "bob", "text": "hi"}
    assert request.expires_at.endswith("Z")
    assert SENT == []  # nothing ran
    assert len(model.seen) == 1


async def test_an_approved_call_runs_once_with_the_decided_args_and_the_run_goes_on():
    model = ScriptedModel(
        [ToolCallRequest("c1", "send", {"to": "bob", "text": "hi"})],
        [TextChunk("Done.")],
    )
    agent, ctx = _agent(model), context()
    first = await collect(agent, "tell bob hi", ctx)
    edited = _decide(first[2], "edited", {"to": "bob", "text": "hello"})

    resumed = await _resume(agent, "tell bob hi", ctx, [*_persisted(first), edited])

    assert types(resumed) == [
        "gated_call_starting",
        "tool_result",
        "final",
        "run_finished",
    ]
    assert SENT == ["bob: hello"]
    assert resumed[-1].status == "succeeded"
    # The model saw the run once, not twice: the message, its call (as it
    # asked for it) and the outcome of the edited call.
    assert [m.role for m in model.seen[-1]] == ["user", "assistant", "tool"]
    assert model.seen[-1][1].tool_calls[0].args == {"to": "bob", "text": "hi"}


async def test_a_rejected_call_is_told_to_the_model_and_never_runs():
    model = ScriptedModel(
        [ToolCallRequest("c1", "send", {"to": "bob", "text": "hi"})],
        [TextChunk("I did not send it.")],
    )
    agent, ctx = _agent(model), context()
    first = await collect(agent, "tell bob hi", ctx)
    progress = [*_persisted(first), _decide(first[2], "rejected", reason="not now")]

    resumed = await _resume(agent, "tell bob hi", ctx, progress)

    error = next(e for e in resumed if isinstance(e, ToolError))
    assert error.code == "rejected"
    assert "not now" in error.error
    assert SENT == []
    assert isinstance(resumed[-1], RunFinished) and resumed[-1].status == "succeeded"
    assert '"error"' in model.seen[-1][-1].content


async def test_an_expired_call_says_so():
    model = ScriptedModel([ToolCallRequest("c1", "send", {"to": "b", "text": "x"})])
    agent, ctx = _agent(model), context()
    first = await collect(agent, "send it", ctx)
    expired = ApprovalResolved(
        first[2].approval, "c1", "expired", first[2].args, "", None
    )

    resumed = await _resume(agent, "send it", ctx, [*_persisted(first), expired])

    error = next(e for e in resumed if isinstance(e, ToolError))
    assert error.code == "expired"
    assert "in time" in error.error


async def test_parallel_calls_each_get_their_own_approval_and_ungated_ones_run():
    model = ScriptedModel(
        [
            ToolCallRequest("c1", "send", {"to": "a", "text": "1"}),
            ToolCallRequest("c2", "look", {"q": "x"}),
            ToolCallRequest("c3", "pay", {"amount": 5}),  # gated by its own flag
        ],
        [TextChunk("ok")],
    )
    agent, ctx = _agent(model), context()
    first = await collect(agent, "do it all", ctx)
    requests = [e for e in first if isinstance(e, ApprovalRequested)]
    assert [r.call_id for r in requests] == ["c1", "c3"]
    assert len({r.approval for r in requests}) == 2
    assert any(isinstance(e, ToolResult) and e.call_id == "c2" for e in first)
    assert isinstance(first[-1], AwaitingApproval)

    progress = [
        *_persisted(first),
        _decide(requests[1]),
        _decide(requests[0], "rejected"),
    ]
    resumed = await _resume(agent, "do it all", ctx, progress)

    assert SENT == ["paid 5"]
    outcomes = [e.call_id for e in resumed if isinstance(e, ToolResult | ToolError)]
    assert outcomes == ["c1", "c3"]  # in the order the model asked
    starting = [e.call_id for e in resumed if isinstance(e, GatedCallStarting)]
    assert starting == ["c3"]


async def test_args_that_do_not_fit_the_schema_fail_without_asking_anyone():
    model = ScriptedModel(
        [ToolCallRequest("c1", "send", {"to": "bob"})], [TextChunk("sorry")]
    )
    events = await collect(_agent(model), "send", context())

    assert "approval_requested" not in types(events)
    assert "missing required argument 'text'" in events[2].error
    assert isinstance(events[-1], RunFinished)


async def test_open_calls_are_the_decided_calls_without_an_outcome():
    model = ScriptedModel([ToolCallRequest("c1", "send", {"to": "b", "text": "x"})])
    first = await collect(_agent(model), "send", context())
    decided = _decide(first[2])
    progress = [*_persisted(first), decided]

    assert [o.call.call_id for o in open_calls(progress)] == ["c1"]
    done = ToolResult("c1", "send", "sent", 1.0)
    assert open_calls([*progress, done]) == []
    assert open_calls(_persisted(first)) == []  # not decided yet


async def test_the_notes_agent_asks_before_saving_and_saves_once_approved():
    state = InMemoryStateStore()
    agent = load_registry().build(
        "notes", history_store=InMemoryHistoryStore(), state_store=state
    )
    ctx = context()
    first = await collect(agent, "Save a note: call the bank", ctx)
    request = next(e for e in first if isinstance(e, ApprovalRequested))
    assert (request.tool, request.args) == ("save_note", {"text": "call the bank"})
    notes = StateNamespace("user", "notes", user_id=ctx.user_id)
    assert await state.get_all(notes) == {}

    progress = [*_persisted(first), _decide(request)]
    resumed = await _resume(agent, "Save a note: call the bank", ctx, progress)

    assert await state.get_all(notes) == {"notes": ["call the bank"]}
    final = next(e for e in resumed if isinstance(e, Final))
    assert "call the bank" in final.text


async def test_the_notes_agent_says_why_a_rejected_note_was_not_saved():
    agent = load_registry().build(
        "notes",
        history_store=InMemoryHistoryStore(),
        state_store=InMemoryStateStore(),
    )
    ctx = context()
    first = await collect(agent, "note down buy milk", ctx)
    request = next(e for e in first if isinstance(e, ApprovalRequested))
    progress = [*_persisted(first), _decide(request, "rejected", reason="no milk")]

    resumed = await _resume(agent, "note down buy milk", ctx, progress)

    final = next(e for e in resumed if isinstance(e, Final))
    assert "didn't save" in final.text and "no milk" in final.text


@pytest.mark.parametrize(
    ("table", "field", "message"),
    [
        ('tools = ["sendd"]', "approval.tools", "not one of the agent's tools"),
        ('approver = "boss"', "approval.approver", "not one of"),
        ("expires_seconds = 0", "approval.expires_seconds", "at least 1"),
        ("colour = 1", "approval.colour", "unknown field"),
        ("tools = [1]", "approval.tools", "list of tool names"),
    ],
)
def test_a_broken_approval_table_names_its_field(tmp_path, table, field, message):
    (tmp_path / "a.toml").write_text(
        'name = "a"\ndescription = "d"\ntools = ["add"]\ncapabilities = []\n'
        f"[approval]\n{table}\n"
    )
    with pytest.raises(DefinitionError) as raised:
        load_registry(tmp_path)
    assert raised.value.field == field
    assert message in raised.value.message


def test_a_pattern_may_name_tools_that_are_not_there_yet(tmp_path):
    (tmp_path / "a.toml").write_text(
        'name = "a"\ndescription = "d"\ntools = ["add"]\ncapabilities = []\n'
        '[approval]\ntools = ["mcp_clock__*", "add"]\napprover = "staff"\n'
    )
    spec = load_registry(tmp_path).get("a")
    assert spec.approval == ApprovalPolicy(("mcp_clock__*", "add"), "staff", 86400)
