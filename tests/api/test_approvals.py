"""Approvals and grants over REST: list, detail, resolve, and their errors.

Runs are driven through Django's AsyncClient, as in test_messages.py, so a
decision wakes the run on this test's event loop."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.engine.service import wait_for_run
from conversations.models import AgentState, Approval, Run
from tests.api.test_messages import Script
from tests.factories import anew_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def script(alice_token) -> Script:
    return Script(alice_token)


@pytest.fixture
def bob_script(bob_token) -> Script:
    return Script(bob_token)


async def pending_note(script: Script, alice, text="Save a note: call the bank"):
    """A session of alice's whose note waits for approval; its approval object."""
    session = await anew_session(alice, "notes")
    sent = await script.post(f"/api/sessions/{session.id}/messages/", {"text": text})
    assert sent.status_code == 202
    await wait_for_run(sent.json()["run"])
    listed = (await script.get("/api/approvals/?status=pending")).json()["results"]
    return next(a for a in listed if a["session"] == str(session.id))


async def test_pending_approval_is_listed_and_approved_and_the_run_finishes(
    alice, script
):
    approval = await pending_note(script, alice)
    assert approval["tool"] == "save_note" and approval["status"] == "pending"
    assert approval["args"] == {"text": "call the bank"}
    assert approval["approver"] == "owner" and approval["decided_by"] is None
    detail = (await script.get(f"/api/approvals/{approval['id']}/")).json()
    assert detail == approval
    session = (await script.get(f"/api/sessions/{approval['session']}/")).json()
    assert session["active_run"] == approval["run"]
    busy = await script.post(
        f"/api/sessions/{approval['session']}/messages/", {"text": "hi"}
    )
    assert busy.status_code == 409 and "approval" in busy.json()["detail"]

    response = await script.post(
        f"/api/approvals/{approval['id']}/resolve/",
        {"decision": "approve", "args": {"text": "call the bank at 9"}},
    )

    assert response.status_code == 200, response.json()
    decided = response.json()
    assert decided["status"] == "approved" and decided["decision"] == "edited"
    assert decided["decided_by"] == "alice"
    assert decided["decided_args"] == {"text": "call the bank at 9"}
    await wait_for_run(approval["run"])
    run = (await script.get(f"/api/runs/{approval['run']}/")).json()
    assert run["status"] == "succeeded"
    notes = await AgentState.objects.aget(scope="user", user=alice, key="notes")
    assert notes.value == ["call the bank at 9"]
    assert (await script.get("/api/approvals/?status=pending")).json()["results"] == []
    approved = (await script.get("/api/approvals/?status=approved")).json()["results"]
    assert [a["id"] for a in approved] == [approval["id"]]

    again = await script.post(
        f"/api/approvals/{approval['id']}/resolve/", {"decision": "approve"}
    )
    assert again.status_code == 409
    assert again.json() == {"detail": "This approval was decided already."}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "approve", "args": [1]}, "args"),
        ({"decision": "reject", "args": {"text": "x"}}, "args"),
        ({"decision": "reject", "reason": "x" * 2001}, "reason"),
        ({"decision": "approve", "remember": "forever"}, "remember"),
        ({"decision": "approve", "args": {"txt": "x"}}, "args"),
    ],
)
async def test_bad_decisions_are_a_400_and_the_approval_stays_pending(
    alice, script, body, field
):
    approval = await pending_note(script, alice)

    response = await script.post(f"/api/approvals/{approval['id']}/resolve/", body)

    assert response.status_code == 400, response.json()
    assert field in response.json()["detail"]
    stored = await Approval.objects.aget(pk=approval["id"])
    assert stored.status == "pending"


async def test_rejecting_with_a_reason_ends_the_call_and_the_model_goes_on(
    alice, script
):
    approval = await pending_note(script, alice)
    response = await script.post(
        f"/api/approvals/{approval['id']}/resolve/",
        {"decision": "reject", "reason": "wrong bank"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    await wait_for_run(approval["run"])
    events = (await script.get(f"/api/sessions/{approval['session']}/events/")).json()[
        "results"
    ]
    error = next(e for e in events if e["type"] == "tool_error")
    assert error["data"]["code"] == "rejected"
    assert (
        "wrong bank" in next(e for e in events if e["type"] == "final")["data"]["text"]
    )


async def test_another_users_approval_is_a_404_everywhere(
    alice, bob, script, bob_script
):
    approval = await pending_note(script, alice)
    assert (
        await bob_script.get(f"/api/approvals/{approval['id']}/")
    ).status_code == 404
    response = await bob_script.post(
        f"/api/approvals/{approval['id']}/resolve/", {"decision": "approve"}
    )
    assert response.status_code == 404
    assert (await bob_script.get("/api/approvals/")).json()["results"] == []
    assert (await script.get("/api/approvals/nope/")).status_code == 404


async def test_a_staff_approval_is_403_for_its_owner_and_decided_by_a_reviewer(
    alice, script, staff_notes
):
    approval = await pending_note(script, alice)
    assert approval["approver"] == "staff"
    refused = await script.post(
        f"/api/approvals/{approval['id']}/resolve/", {"decision": "approve"}
    )
    assert refused.status_code == 403

    reviewer = await sync_to_async(_reviewer_token)()
    rita = Script(reviewer)
    inbox = (await rita.get("/api/approvals/?status=pending")).json()["results"]
    assert [a["id"] for a in inbox] == [approval["id"]]
    # Consent is the owner's to give: a staff approval is decided every time.
    remembered = await rita.post(
        f"/api/approvals/{approval['id']}/resolve/",
        {"decision": "approve", "remember": "agent"},
    )
    assert remembered.status_code == 400 and "remember" in remembered.json()["errors"]
    done = await rita.post(
        f"/api/approvals/{approval['id']}/resolve/", {"decision": "approve"}
    )
    assert done.status_code == 200 and done.json()["decided_by"] == "rita"
    await wait_for_run(approval["run"])
    assert (await Run.objects.aget(pk=approval["run"])).status == "succeeded"


async def test_the_owners_grant_never_decides_a_staff_approval(
    alice, script, staff_notes
):
    await sync_to_async(_grant_save_note)(alice)
    approval = await pending_note(script, alice)
    assert (approval["approver"], approval["status"]) == ("staff", "pending")


def _grant_save_note(owner) -> None:
    from agents.approval import schema_digest
    from conversations.agent_factory import get_registry
    from conversations.models import Grant

    tool = get_registry().tools["save_note"]
    Grant.objects.create(
        user=owner,
        agent="notes",
        scope="agent",
        tool=tool.name,
        schema=schema_digest(tool),
    )


def _reviewer_token() -> str:
    from rest_framework.authtoken.models import Token

    user = make_user("rita")
    user.user_permissions.add(Permission.objects.get(codename="resolve_approval"))
    return Token.objects.create(user=user).key


async def test_grants_are_listed_and_revoked_by_their_owner_only(
    alice, script, bob_script
):
    approval = await pending_note(script, alice)
    await script.post(
        f"/api/approvals/{approval['id']}/resolve/",
        {"decision": "approve", "remember": "agent"},
    )
    await wait_for_run(approval["run"])
    (grant,) = (await script.get("/api/grants/")).json()
    assert (grant["tool"], grant["scope"], grant["agent"]) == (
        "save_note",
        "agent",
        "notes",
    )
    assert grant["approval"] == approval["id"]
    assert grant["session"] is None and grant["session_title"] is None
    assert (await bob_script.get("/api/grants/")).json() == []
    gone = await bob_script.client.delete(
        f"/api/grants/{grant['id']}/", headers=bob_script.headers
    )
    assert gone.status_code == 404

    deleted = await script.client.delete(
        f"/api/grants/{grant['id']}/", headers=script.headers
    )

    assert deleted.status_code == 204
    assert (await script.get("/api/grants/")).json() == []
    again = await pending_note(script, alice, "Save a note: again")  # asks again
    assert again["status"] == "pending"


async def test_a_grant_for_one_session_names_that_session_and_its_title(alice, script):
    approval = await pending_note(script, alice)
    await script.post(
        f"/api/approvals/{approval['id']}/resolve/",
        {"decision": "approve", "remember": "session"},
    )
    await wait_for_run(approval["run"])

    (grant,) = (await script.get("/api/grants/")).json()

    assert grant["scope"] == "session" and grant["session"] == approval["session"]
    session = (await script.get(f"/api/sessions/{approval['session']}/")).json()
    assert grant["session_title"] == session["title"] != ""


async def test_the_approval_list_costs_the_same_queries_for_many_rows(alice, script):
    await pending_note(script, alice)

    def page() -> int:
        from django.test import Client
        from rest_framework.authtoken.models import Token

        client = Client(headers={"Authorization": f"Token {Token.objects.get().key}"})
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/approvals/?status=pending").status_code == 200
        return len(queries)

    one = await sync_to_async(page)()
    await sync_to_async(_more_pending)(alice, 60)
    many = await sync_to_async(page)()
    assert many == one


def _more_pending(alice, count: int) -> None:
    first = Approval.objects.get()
    decider = make_user("dora")
    Approval.objects.bulk_create(
        Approval(
            id=__import__("uuid").uuid4(),
            session_id=first.session_id,
            run_id=first.run_id,
            agent="notes",
            call_id=f"c{n}",
            tool="save_note",
            args={"text": str(n)},
            approver="owner",
            expires_at=first.expires_at,
            decided_by=decider,
        )
        for n in range(count)
    )
