"""Approval of tool calls through the WebSocket and the run engine: a run that
waits with nothing held in memory, decisions from any socket, exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from conversations.engine import approvals
from conversations.engine.process import EngineProcess
from conversations.engine.service import (
    expire_due_approvals,
    recover_stale_runs,
    resolve_approval,
    wait_for_run,
)
from conversations.models import AgentState, Approval, Event, Grant, Run
from tests.conversations.wsclient import open_socket, receive_until
from tests.factories import anew_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "Save a note: call the bank"


def of_type(kind: str):
    return lambda frame: frame.get("type") == kind


async def ask_for_a_note(ws, text: str = NOTE) -> tuple[dict, list[dict]]:
    """Send the message; return its ack and the frames up to the request."""
    await ws.send_json_to({"type": "message", "text": text})
    ack = await ws.receive_json_from(timeout=5)
    assert ack["type"] == "ack", ack
    frames = await receive_until(ws, of_type("approval_requested"))
    return ack, frames


async def resolve(ws, approval: str, decision: str, **fields) -> dict:
    await ws.send_json_to(
        {"type": "resolve", "approval": approval, "decision": decision, **fields}
    )
    return await receive_until(ws, lambda f: f["type"] in ("ack", "rejected"))


@sync_to_async
def notes_of(user) -> list[str]:
    row = AgentState.objects.filter(scope="user", user=user, key="notes").first()
    return row.value if row else []


@sync_to_async
def run_status(run_id) -> str:
    return Run.objects.get(pk=run_id).status


async def test_a_gated_call_waits_with_nothing_held_then_runs_once_approved(
    alice, alice_token
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    ack, frames = await ask_for_a_note(ws)
    request = frames[-1]["data"]
    assert request["tool"] == "save_note" and request["args"] == {
        "text": "call the bank"
    }
    assert request["approver"] == "owner"
    call = next(f for f in frames if f["type"] == "tool_call")
    assert call["data"]["call_id"] == request["call_id"]
    await wait_for_run(ack["run"])  # the driver lets go: no task, no slot
    assert await run_status(ack["run"]) == "awaiting_approval"
    assert str(ack["run"]) not in EngineProcess.current().drivers
    assert await notes_of(alice) == []

    await ws.send_json_to({"type": "message", "text": "hello?"})
    refused = await ws.receive_json_from(timeout=5)
    assert refused["type"] == "rejected" and refused["code"] == "approval_pending"

    replies = await resolve(ws, request["approval"], "approve")
    assert replies[-1] == {"type": "ack", "approval": request["approval"]}
    rest = await receive_until(ws, of_type("run_finished"))
    resolved = next(f for f in [*replies, *rest] if f["type"] == "approval_resolved")
    assert resolved["data"] == {
        "approval": request["approval"],
        "call_id": request["call_id"],
        "decision": "approved",
        "args": {"text": "call the bank"},
        "reason": "",
        "by": "alice",
    }
    assert rest[-1]["data"]["status"] == "succeeded"
    final = next(f for f in rest if f["type"] == "final")
    assert "call the bank" in final["data"]["text"]
    assert await notes_of(alice) == ["call the bank"]
    seqs = await sync_to_async(
        lambda: list(
            Event.objects.filter(session=session).values_list("seq", flat=True)
        )
    )()
    assert seqs == list(range(1, len(seqs) + 1))
    types = await sync_to_async(
        lambda: list(
            Event.objects.filter(run_id=ack["run"]).values_list("type", flat=True)
        )
    )()
    assert types.count("run_started") == 1 and types.count("run_finished") == 1
    assert types.index("approval_requested") < types.index("approval_resolved")
    assert types.index("approval_resolved") < types.index("tool_result")
    approval = await Approval.objects.aget(pk=request["approval"])
    assert (approval.status, approval.execution) == ("approved", "done")

    again = await resolve(ws, request["approval"], "approve")
    assert again[-1]["code"] == "already_resolved"
    await ws.disconnect()


async def test_a_rejection_is_told_to_the_model_with_its_reason(alice, alice_token):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    _, frames = await ask_for_a_note(ws)
    approval = frames[-1]["data"]["approval"]

    await resolve(ws, approval, "reject", reason="not that bank")
    rest = await receive_until(ws, of_type("run_finished"))

    error = next(f for f in rest if f["type"] == "tool_error")["data"]
    assert error["code"] == "rejected" and "not that bank" in error["error"]
    final = next(f for f in rest if f["type"] == "final")["data"]["text"]
    assert "didn't save" in final and "not that bank" in final
    assert rest[-1]["data"]["status"] == "succeeded"
    assert await notes_of(alice) == []
    stored = await Approval.objects.aget(pk=approval)
    assert (stored.status, stored.decision, stored.reason) == (
        "rejected",
        "rejected",
        "not that bank",
    )
    await ws.disconnect()


async def test_edited_args_are_checked_and_a_bad_edit_leaves_it_pending(
    alice, alice_token
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    _, frames = await ask_for_a_note(ws)
    approval = frames[-1]["data"]["approval"]

    bad = await resolve(ws, approval, "approve", args={"txt": "x"})
    assert bad[-1]["type"] == "rejected" and bad[-1]["code"] == "bad_request"
    assert "unexpected argument 'txt'" in bad[-1]["message"]
    assert (await Approval.objects.aget(pk=approval)).status == "pending"

    await resolve(ws, approval, "approve", args={"text": "call the bank at 9"})
    rest = await receive_until(ws, of_type("run_finished"))

    resolved = next(f for f in rest if f["type"] == "approval_resolved")["data"]
    assert resolved["decision"] == "edited"
    assert resolved["args"] == {"text": "call the bank at 9"}
    assert await notes_of(alice) == ["call the bank at 9"]
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"approval": "nope", "decision": "approve"}, "bad_request"),
        ({"decision": "approve"}, "bad_request"),
        ({"approval": "00000000-0000-0000-0000-000000000000"}, "bad_request"),
        (
            {"approval": "00000000-0000-0000-0000-000000000000", "decision": "yes"},
            "bad_request",
        ),
        (
            {"approval": "00000000-0000-0000-0000-000000000000", "decision": "approve"},
            "not_found",
        ),
        (
            {
                "approval": "00000000-0000-0000-0000-000000000000",
                "decision": "approve",
                "args": [1],
            },
            "bad_request",
        ),
        (
            {
                "approval": "00000000-0000-0000-0000-000000000000",
                "decision": "reject",
                "reason": "x" * 2001,
            },
            "bad_request",
        ),
    ],
)
async def test_bad_resolve_frames_are_rejected_and_the_socket_stays_usable(
    alice, alice_token, frame, code
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    await ws.send_json_to({"type": "resolve", **frame})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "rejected" and reply["code"] == code, reply
    await ws.send_json_to({"type": "resume", "after": 0})
    await ws.disconnect()


async def test_another_users_approval_is_not_found_from_their_socket(
    alice, bob, alice_token, bob_token
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    _, frames = await ask_for_a_note(ws)
    approval = frames[-1]["data"]["approval"]
    bobs = await anew_session(bob, "notes")
    bob_ws, _ = await open_socket(bobs.id, bob_token)

    reply = await resolve(bob_ws, approval, "approve")

    assert reply[-1]["code"] == "not_found"
    assert (await Approval.objects.aget(pk=approval)).status == "pending"
    await ws.disconnect()
    await bob_ws.disconnect()


async def test_cancel_rejects_the_pending_approval_and_ends_the_run(alice, alice_token):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    ack, frames = await ask_for_a_note(ws)
    approval = frames[-1]["data"]["approval"]
    await wait_for_run(ack["run"])

    await ws.send_json_to({"type": "cancel"})
    rest = await receive_until(ws, of_type("run_finished"))

    assert [f["type"] for f in rest] == [
        "approval_resolved",
        "tool_error",
        "run_finished",
    ]
    assert rest[0]["data"]["decision"] == "rejected"
    assert rest[0]["data"]["by"] == "alice"
    assert rest[1]["data"]["code"] == "rejected"
    assert rest[2]["data"]["status"] == "cancelled"
    assert (await Approval.objects.aget(pk=approval)).status == "rejected"
    assert await notes_of(alice) == []
    # The session is free again.
    await ws.send_json_to({"type": "message", "text": "What are my notes?"})
    assert (await ws.receive_json_from(timeout=5))["type"] == "ack"
    await receive_until(ws, of_type("run_finished"))
    await ws.disconnect()


async def test_an_expired_approval_is_told_to_the_model(alice, alice_token):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    ack, frames = await ask_for_a_note(ws)
    approval = frames[-1]["data"]["approval"]
    await wait_for_run(ack["run"])
    await Approval.objects.filter(pk=approval).aupdate(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert await expire_due_approvals() == 1
    rest = await receive_until(ws, of_type("run_finished"))

    resolved = next(f for f in rest if f["type"] == "approval_resolved")["data"]
    assert resolved["decision"] == "expired" and resolved["by"] is None
    error = next(f for f in rest if f["type"] == "tool_error")["data"]
    assert error["code"] == "expired"
    assert rest[-1]["data"]["status"] == "succeeded"
    assert await notes_of(alice) == []
    reply = await resolve(ws, approval, "approve")
    assert reply[-1]["code"] == "already_resolved"
    await ws.disconnect()


async def test_two_decisions_racing_leave_exactly_one_and_one_execution(
    alice, alice_token
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    ack, frames = await ask_for_a_note(ws)
    approval = frames[-1]["data"]["approval"]
    await wait_for_run(ack["run"])

    outcomes = await asyncio.gather(
        *(resolve_approval(approval, alice, True) for _ in range(4)),
        return_exceptions=True,
    )

    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(
        isinstance(o, approvals.AlreadyResolved)
        for o in outcomes
        if isinstance(o, Exception)
    )
    await receive_until(ws, of_type("run_finished"))
    assert await notes_of(alice) == ["call the bank"]
    resolved = await Event.objects.filter(
        session=session, type="approval_resolved"
    ).acount()
    assert resolved == 1
    await ws.disconnect()


async def test_a_staff_approval_is_seen_by_the_owner_but_decided_by_staff(
    alice, alice_token, staff_notes
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    _, frames = await ask_for_a_note(ws)
    request = frames[-1]["data"]
    assert request["approver"] == "staff"

    owner = await resolve(ws, request["approval"], "approve")
    assert owner[-1]["code"] == "forbidden"
    plain_staff = await sync_to_async(make_user)("sam")
    with pytest.raises(approvals.ApprovalNotFound):
        await resolve_approval(request["approval"], plain_staff, True)

    reviewer = await sync_to_async(_reviewer)()
    await resolve_approval(request["approval"], reviewer, True)
    rest = await receive_until(ws, of_type("run_finished"))

    resolved = next(f for f in rest if f["type"] == "approval_resolved")["data"]
    assert resolved["by"] == "rita"
    assert await notes_of(alice) == ["call the bank"]
    await ws.disconnect()


def _reviewer():
    from django.contrib.auth.models import Permission

    user = make_user("rita")
    user.user_permissions.add(Permission.objects.get(codename="resolve_approval"))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


async def test_a_call_started_when_its_process_died_is_in_doubt_never_run_again(
    alice, alice_token, settings
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    ack, frames = await ask_for_a_note(ws)
    approval = frames[-1]["data"]["approval"]
    await wait_for_run(ack["run"])
    # As if a process had recorded the start and died before the result.
    await Approval.objects.filter(pk=approval).aupdate(
        status="approved", decision="approved", execution="started"
    )
    await Run.objects.filter(pk=ack["run"]).aupdate(
        status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )

    assert await recover_stale_runs() == 1
    rest = await receive_until(ws, of_type("run_finished"))

    error = next(f for f in rest if f["type"] == "tool_error")["data"]
    assert (
        error["code"] == "in_doubt"
        and error["call_id"] == frames[-1]["data"]["call_id"]
    )
    assert rest[-1]["data"]["status"] == "interrupted"
    assert (await Approval.objects.aget(pk=approval)).execution == "in_doubt"
    assert await notes_of(alice) == []  # and nothing runs it later
    await ws.disconnect()


async def approve_first_note(ws, remember: str) -> str:
    """Ask for a note and approve it, remembering the consent; return the grant."""
    _, frames = await ask_for_a_note(ws)
    await resolve(ws, frames[-1]["data"]["approval"], "approve", remember=remember)
    rest = await receive_until(ws, of_type("run_finished"))
    resolved = next(f for f in rest if f["type"] == "approval_resolved")["data"]
    assert resolved["by"] == "alice" and resolved["grant"]
    return resolved["grant"]


async def test_remembered_consent_approves_later_calls_in_that_session_only(
    alice, alice_token
):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    grant = await approve_first_note(ws, "session")

    await ws.send_json_to({"type": "message", "text": "Save a note: buy milk"})
    frames = await receive_until(ws, of_type("run_finished"))

    resolved = next(f for f in frames if f["type"] == "approval_resolved")["data"]
    assert resolved["by"] is None and resolved["grant"] == grant
    assert resolved["decision"] == "approved"
    assert frames[-1]["data"]["status"] == "succeeded"
    assert await notes_of(alice) == ["call the bank", "buy milk"]
    other = await anew_session(alice, "notes")
    other_ws, _ = await open_socket(other.id, alice_token)
    _, asked = await ask_for_a_note(other_ws, "Save a note: again")  # asks again
    assert asked[-1]["type"] == "approval_requested"
    await ws.disconnect()
    await other_ws.disconnect()


async def test_consent_for_the_agent_holds_in_other_sessions_until_the_schema_changes(
    alice, alice_token
):
    first = await anew_session(alice, "notes")
    ws, _ = await open_socket(first.id, alice_token)
    await approve_first_note(ws, "agent")
    second = await anew_session(alice, "notes")
    ws2, _ = await open_socket(second.id, alice_token)
    await ws2.send_json_to({"type": "message", "text": "Save a note: buy milk"})
    frames = await receive_until(ws2, of_type("run_finished"))
    assert "buy milk" in next(f for f in frames if f["type"] == "final")["data"]["text"]

    await Grant.objects.aupdate(schema="an older schema")
    _, asked = await ask_for_a_note(ws2, "Save a note: and again")
    assert asked[-1]["type"] == "approval_requested"
    await ws.disconnect()
    await ws2.disconnect()


async def test_a_rejection_cannot_be_remembered(alice, alice_token):
    session = await anew_session(alice, "notes")
    ws, _ = await open_socket(session.id, alice_token)
    _, frames = await ask_for_a_note(ws)
    reply = await resolve(
        ws, frames[-1]["data"]["approval"], "reject", remember="session"
    )
    assert reply[-1]["code"] == "bad_request"
    await ws.disconnect()
