"""The approval inbox: what waits for whom, found at once whatever the number of
requests, and decided from the admin through the engine (the run wakes, the
model is told, a second decision is refused)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.admin.timeline import session_url
from conversations.engine.service import submit_message, wait_for_run
from conversations.models import AgentState, Approval, ChatSession, Event, Run
from tests.admin.transcripts import requested_approvals
from tests.factories import anew_session, new_session

pytestmark = pytest.mark.django_db(transaction=True)

INBOX = reverse("admin:conversations_approval_changelist")
NOTE = "Save a note: call the bank"
# Session, user and permissions, the two counts, the tool and agent filters'
# values, the page of rows and the seqs of its requests.
QUERY_BUDGET = 10


def page_of(approval: Approval) -> str:
    return reverse("admin:conversations_approval_change", args=[approval.pk])


def decide_url(approval: Approval) -> str:
    return reverse("admin:conversations_approval_decide", args=[approval.pk])


def listed(response) -> list:
    return [approval.pk for approval in response.context["cl"].result_list]


def backdate(approval: Approval, age: timedelta) -> None:
    Approval.objects.filter(pk=approval.pk).update(requested_at=timezone.now() - age)


@pytest.fixture
def inbox(alice, bob) -> dict[str, Approval]:
    """Requests a reviewer tells apart: a fresh one, a staff one of another
    agent and tool three hours old, one left two days, and the newest of all
    already rejected."""
    groceries = new_session(alice, "notes")
    ChatSession.objects.filter(pk=groceries.pk).update(title="Groceries")
    (fresh,) = requested_approvals(groceries, ["save_note"])
    (staff,) = requested_approvals(
        new_session(bob, "researcher"), ["send_mail"], "staff"
    )
    (old,) = requested_approvals(new_session(alice, "notes"), ["save_note"])
    (decided,) = requested_approvals(new_session(bob, "notes"), ["save_note"])
    backdate(fresh, timedelta(minutes=10))
    backdate(staff, timedelta(hours=3))
    backdate(old, timedelta(days=2))
    backdate(decided, timedelta(minutes=1))
    Approval.objects.filter(pk=decided.pk).update(status="rejected")
    return {"fresh": fresh, "staff": staff, "old": old, "decided": decided}


def test_inbox_lists_pending_requests_first_newest_first(viewer_client, inbox):
    response = viewer_client.get(INBOX)
    assert response.status_code == 200
    names = {approval.pk: name for name, approval in inbox.items()}
    assert [names[pk] for pk in listed(response)] == [
        "fresh",
        "staff",
        "old",
        "decided",
    ]
    assert "in 23\N{NO-BREAK SPACE}hours" in response.text  # time left to decide


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status__exact=pending", {"fresh", "staff", "old"}),
        ("status__exact=rejected", {"decided"}),
        ("tool=send_mail", {"staff"}),
        ("agent=researcher", {"staff"}),
        ("approver__exact=staff", {"staff"}),
        ("age=1h", {"staff", "old"}),
        ("age=1d", {"old"}),
        ("status__exact=pending&age=1h", {"staff", "old"}),
        ("q=send", {"staff"}),
        ("q=groceries", {"fresh"}),
    ],
)
def test_filters_and_search_find_the_requests_a_reviewer_looks_for(
    viewer_client, inbox, query, expected
):
    names = {approval.pk: name for name, approval in inbox.items()}
    response = viewer_client.get(f"{INBOX}?{query}")
    assert response.status_code == 200
    assert {names[pk] for pk in listed(response)} == expected


def inbox_queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INBOX + query).status_code == 200
    return len(queries)


def test_inbox_query_count_does_not_grow_with_the_number_of_requests(
    viewer_client, alice, bob
):
    requested_approvals(new_session(alice, "notes"), ["save_note"] * 2)
    requested_approvals(new_session(bob, "researcher"), ["send_mail"] * 2, "staff")
    with_four = inbox_queries(viewer_client)
    for i in range(20):
        owner, approver = (alice, "owner") if i % 2 else (bob, "staff")
        requested_approvals(new_session(owner, "notes"), ["save_note"] * 3, approver)
    with_sixty_four = inbox_queries(viewer_client)
    assert with_four == with_sixty_four <= QUERY_BUDGET


def test_ten_thousand_pending_requests_open_one_page_under_the_same_budget(
    viewer_client, alice
):
    for _ in range(10):
        requested_approvals(new_session(alice, "notes"), ["save_note"] * 1000)
    assert Approval.objects.pending().count() == 10_000
    for query in ["", "?status__exact=pending&age=1h", "?q=save"]:
        assert inbox_queries(viewer_client, query) <= QUERY_BUDGET
    response = viewer_client.get(INBOX)
    rows = response.context["cl"].result_list
    assert len(rows) == 100 and all(row.request_seq for row in rows)
    assert "10000 approvals" in response.text


def test_each_row_links_to_its_request_in_the_session_timeline(viewer_client, alice):
    session = new_session(alice, "notes")
    _, second = requested_approvals(session, ["save_note", "save_note"])
    seq = Event.objects.get(
        type="approval_requested", data__approval=str(second.pk)
    ).seq
    link = f'href="{session_url(session.pk, seq)}"'
    assert link in viewer_client.get(INBOX).text
    assert link in viewer_client.get(page_of(second)).text
    timeline = viewer_client.get(session_url(session.pk, seq)).text
    card = timeline[timeline.index(f'id="seq-{seq}"') :]
    card = card[: card.index("</li>")]
    assert "Approval requested" in card and f'href="{page_of(second)}"' in card


def test_a_session_page_leads_to_the_inbox_of_its_approvals(viewer_client, inbox):
    session = inbox["old"].session
    page = viewer_client.get(session_url(session.pk)).text
    inbox_of_session = f"{INBOX}?session={session.pk}"
    assert f'href="{inbox_of_session}"' in page
    assert listed(viewer_client.get(inbox_of_session)) == [inbox["old"].pk]


def test_staff_who_may_only_view_see_no_controls_and_a_decision_is_refused(
    viewer_client, alice
):
    (approval,) = requested_approvals(
        new_session(alice, "notes"), ["save_note"], "staff"
    )
    page = viewer_client.get(page_of(approval))
    assert page.status_code == 200
    assert 'value="approve"' not in page.text
    assert "Decided by staff holding the permission" in page.text
    assert "approve_selected" not in viewer_client.get(INBOX).text

    assert (
        viewer_client.post(decide_url(approval), {"decision": "approve"}).status_code
        == 403
    )
    viewer_client.post(
        INBOX,
        {"action": "approve_selected", "_selected_action": [approval.pk], "index": 0},
    )
    assert Approval.objects.get(pk=approval.pk).status == "pending"
    assert not Event.objects.filter(type="approval_resolved").exists()


def test_nobody_adds_changes_or_deletes_an_approval_here(superuser_client, alice):
    (approval,) = requested_approvals(new_session(alice, "notes"), ["save_note"])
    add = reverse("admin:conversations_approval_add")
    delete = reverse("admin:conversations_approval_delete", args=[approval.pk])
    assert superuser_client.get(add).status_code == 403
    assert (
        superuser_client.post(page_of(approval), {"status": "approved"}).status_code
        == 403
    )
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in superuser_client.get(INBOX).text
    assert Approval.objects.get(pk=approval.pk).status == "pending"


def test_approvals_go_only_with_their_session(superuser_client, alice):
    session = new_session(alice, "notes")
    requested_approvals(session, ["save_note", "save_note"])
    delete = reverse("admin:conversations_chatsession_delete", args=[session.pk])
    assert "<li>Approvals: 2</li>" in superuser_client.get(delete).text
    superuser_client.post(delete, {"post": "yes"})
    assert not Approval.objects.exists()


@sync_to_async
def notes_of(user) -> list[str]:
    row = AgentState.objects.filter(scope="user", user=user, key="notes").first()
    return row.value if row else []


async def ask_for_a_note(owner) -> Approval:
    """A real run of the notes agent, left waiting for its save's approval."""
    session = await anew_session(owner, "notes")
    admission = await submit_message(session.id, "notes", NOTE)
    await wait_for_run(admission.run_id)
    run = await Run.objects.aget(pk=admission.run_id)
    assert run.status == "awaiting_approval"
    return await Approval.objects.aget(run_id=admission.run_id)


async def admin_as(user) -> AsyncClient:
    """The admin through Django's AsyncClient: its sync views run in a thread
    and hand the engine's coroutines to this test's loop, as daphne's loop would
    in production, so `wait_for_run` can await a run woken by a decision."""
    client = AsyncClient()
    await client.aforce_login(user)
    return client


async def test_approving_from_the_admin_wakes_the_run_and_saves_the_note(
    alice, decider, staff_notes
):
    approval = await ask_for_a_note(alice)
    assert approval.approver == "staff"
    client = await admin_as(decider)
    page = await client.get(page_of(approval))
    assert 'value="approve"' in page.text and 'value="reject"' in page.text

    done = await client.post(
        decide_url(approval),
        {"decision": "approve", "reason": "", "args": json.dumps(approval.args)},
        follow=True,
    )

    assert "Approved the call of save_note." in done.text
    await wait_for_run(approval.run_id)
    assert (await Run.objects.aget(pk=approval.run_id)).status == "succeeded"
    assert await notes_of(alice) == ["call the bank"]
    resolved = await Event.objects.aget(
        run_id=approval.run_id, type="approval_resolved"
    )
    assert (resolved.data["decision"], resolved.data["by"]) == ("approved", "rita")

    again = await client.post(decide_url(approval), {"decision": "reject"}, follow=True)
    assert "This approval was already decided." in again.text
    assert 'value="approve"' not in again.text
    assert await Event.objects.filter(type="approval_resolved").acount() == 1


async def test_rejecting_from_the_admin_tells_the_model_the_reason(
    alice, decider, staff_notes
):
    approval = await ask_for_a_note(alice)
    client = await admin_as(decider)

    await client.post(
        decide_url(approval),
        {"decision": "reject", "reason": "not that bank", "args": "{}"},
    )

    await wait_for_run(approval.run_id)
    stored = await Approval.objects.aget(pk=approval.pk)
    assert (stored.status, stored.reason) == ("rejected", "not that bank")
    error = await Event.objects.aget(run_id=approval.run_id, type="tool_error")
    assert error.data["code"] == "rejected" and "not that bank" in error.data["error"]
    final = await Event.objects.aget(run_id=approval.run_id, type="final")
    assert "didn't save" in final.data["text"]
    assert await notes_of(alice) == []


async def test_edited_arguments_are_checked_and_a_bad_edit_leaves_it_pending(
    alice, decider, staff_notes
):
    approval = await ask_for_a_note(alice)
    client = await admin_as(decider)
    for args, refusal in [
        ('{"txt": "x"}', "unexpected argument"),
        ('{"text": ', "not valid JSON"),
        ("[1]", "&#x27;args&#x27; must be an object"),
    ]:
        page = await client.post(
            decide_url(approval), {"decision": "approve", "args": args}, follow=True
        )
        assert "Not decided:" in page.text and refusal in page.text, args
        assert (await Approval.objects.aget(pk=approval.pk)).status == "pending"

    await client.post(
        decide_url(approval),
        {"decision": "approve", "args": '{"text": "call the bank at 9"}'},
    )

    await wait_for_run(approval.run_id)
    resolved = await Event.objects.aget(
        run_id=approval.run_id, type="approval_resolved"
    )
    assert resolved.data["decision"] == "edited"
    assert await notes_of(alice) == ["call the bank at 9"]


async def test_an_owner_approval_cannot_be_decided_from_the_admin_by_other_staff(
    alice, decider
):
    approval = await ask_for_a_note(alice)
    assert approval.approver == "owner"
    client = await admin_as(decider)

    page = await client.get(page_of(approval))
    assert "Decided by the session&#x27;s owner." in page.text
    assert 'value="approve"' not in page.text
    refused = await client.post(decide_url(approval), {"decision": "approve"})

    assert refused.status_code == 403
    assert (await Approval.objects.aget(pk=approval.pk)).status == "pending"
    assert await notes_of(alice) == []


async def test_list_actions_decide_the_staff_approvals_and_leave_the_owners(
    alice, bob, decider, staff_notes
):
    alices, bobs = await ask_for_a_note(alice), await ask_for_a_note(bob)
    (owners,) = await sync_to_async(
        lambda: requested_approvals(new_session(alice, "notes"), ["save_note"])
    )()
    client = await admin_as(decider)

    approved = await client.post(
        INBOX,
        {
            "action": "approve_selected",
            "_selected_action": [str(alices.pk), str(owners.pk)],
            "index": 0,
        },
        follow=True,
    )
    rejected = await client.post(
        INBOX,
        {
            "action": "reject_selected",
            "_selected_action": [str(bobs.pk), str(alices.pk)],
            "index": 0,
            "reason": "no notes today",
        },
        follow=True,
    )

    assert "Approved 1 of 2 calls." in approved.text
    assert "1 left: Decided by the session&#x27;s owner." in approved.text
    assert "Rejected 1 of 2 calls." in rejected.text
    assert "1 left: This approval was already decided." in rejected.text
    await wait_for_run(alices.run_id)
    await wait_for_run(bobs.run_id)
    assert await notes_of(alice) == ["call the bank"]
    assert await notes_of(bob) == []
    resolved = await Event.objects.aget(run_id=bobs.run_id, type="approval_resolved")
    assert resolved.data["reason"] == "no notes today"
    assert (await Approval.objects.aget(pk=owners.pk)).status == "pending"
