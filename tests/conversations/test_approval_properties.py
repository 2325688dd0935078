"""Exactly once, as a property: whatever decisions, repeats, cancels and expiries
reach a pending approval, in whatever order and however many at once, one of
them wins, the call runs at most once (and exactly once when an approval won),
and the run ends with one `run_finished` that agrees with the winner."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.engine import approvals
from conversations.engine.service import (
    cancel_active_run,
    expire_due_approvals,
    resolve_approval,
    submit_message,
    wait_for_run,
)
from conversations.models import AgentState, Approval, ChatSession, Event, Run
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = (approvals.AlreadyResolved, approvals.ApprovalNotFound)
ACTIONS = st.sampled_from(["approve", "edit", "reject", "cancel", "expire"])


async def act(action: str, approval: Approval, user) -> str | None:
    """Do one thing to the approval; the name of what won, None when refused."""
    try:
        match action:
            case "approve":
                await resolve_approval(approval.pk, user, True)
            case "edit":
                await resolve_approval(approval.pk, user, True, {"text": "edited"})
            case "reject":
                await resolve_approval(approval.pk, user, False, None, "no")
            case "cancel":
                if await cancel_active_run(approval.session_id, "alice") is None:
                    return None
            case "expire":
                await Approval.objects.filter(pk=approval.pk).aupdate(
                    expires_at=timezone.now() - timedelta(seconds=1)
                )
                if not await expire_due_approvals():
                    return None
    except REFUSED:
        return None
    return action


async def scenario(user, rounds: list[list[str]]) -> None:
    session = await ChatSession.objects.acreate(owner=user, agent="notes")
    admitted = await submit_message(session.id, "notes", "Save a note: call the bank")
    await wait_for_run(admitted.run_id)
    approval = await Approval.objects.aget(run_id=admitted.run_id)
    winners = []
    for together in rounds:  # each round's actions race each other
        done = await asyncio.gather(*(act(a, approval, user) for a in together))
        winners += [w for w in done if w is not None]
    await wait_for_run(admitted.run_id)

    run = await Run.objects.aget(pk=admitted.run_id)
    events = [e async for e in Event.objects.filter(run=run).order_by("seq")]
    resolved = [e for e in events if e.type == "approval_resolved"]
    finished = [e for e in events if e.type == "run_finished"]
    notes = await sync_to_async(_notes)(user)
    assert len(resolved) == 1
    assert len(finished) == 1 and events[-1].type == "run_finished"
    decided = winners[0] if winners else None
    if decided is None:  # nothing got through: the call still waits
        assert run.status == "awaiting_approval"
        return
    decision = resolved[0].data["decision"]
    if decided == "cancel":  # it cancelled the waiting run: its call is rejected
        assert (decision, run.status) == ("rejected", "cancelled")
    else:
        assert (
            decision
            == {
                "approve": "approved",
                "edit": "edited",
                "reject": "rejected",
                "expire": "expired",
            }[decided]
        )
        # A cancel that got through after the decision stops the resumed run,
        # unless the run finished before the cancel reached it.
        later_cancel = "cancel" in winners[1:]
        allowed = {"cancelled", "succeeded"} if later_cancel else {"succeeded"}
        assert run.status in allowed, winners
    outcome = [e for e in events if e.type in ("tool_result", "tool_error")]
    assert len(outcome) == 1
    if decision in ("approved", "edited") and run.status == "succeeded":
        assert outcome[0].type == "tool_result" and len(notes) == 1
    elif outcome[0].type == "tool_result":  # ran, then the run was cancelled
        assert len(notes) == 1
    elif outcome[0].data.get("code") == "in_doubt":  # cancelled mid-call
        assert len(notes) <= 1
    else:  # never ran
        assert notes == []
    assert approval.call_id == outcome[0].data["call_id"]


def _notes(user) -> list[str]:
    """The user's notes: a new user per example, so each is one execution."""
    row = AgentState.objects.filter(user=user, key="notes").first()
    return row.value if row else []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rounds=st.lists(st.lists(ACTIONS, min_size=1, max_size=4), min_size=1, max_size=3)
)
def test_one_decision_wins_and_the_call_runs_at_most_once(rounds):
    user = make_user(f"user-{uuid.uuid4().hex[:12]}")
    async_to_sync(scenario)(user, rounds)
