"""Budgets: a call is charged its projection before it is made and refused
when that does not fit, two runs racing for the last of a budget cannot both
overrun it, a refusal ends the run `budget_exceeded` and refuses new messages
(429, `rejected`) until the period turns, and the soft share warns in the run."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from agents.llm.base import Projection
from conversations import budgets
from conversations.engine.service import submit_message, wait_for_run
from conversations.models import Budget, BudgetSpend, ChatSession, Event, ModelPrice
from tests.admin.conftest import logged_in
from tests.agui.test_endpoint import post as agui_post
from tests.agui.test_endpoint import run_input
from tests.conversations.wsclient import open_socket, receive_until
from tests.factories import anew_session
from tests.threads import in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def tokens_budget(limit: int, **fields) -> Budget:
    fields = {"scope": Budget.Scope.OVERALL, "period": Budget.Period.DAY, **fields}
    return Budget.objects.create(
        name=fields.pop("name", f"budget {limit}"),
        unit=Budget.Unit.TOKENS,
        limit=Decimal(limit),
        **fields,
    )


def call(input_tokens: int, output_tokens: int = 0) -> Projection:
    return Projection("offline", input_tokens, output_tokens)


def spent(budget: Budget, subject: str = "") -> Decimal:
    return BudgetSpend.objects.get(budget=budget, subject=subject).spent


@pytest.mark.parametrize(
    ("kind", "now", "start", "end"),
    [
        ("day", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), date(2026, 12, 31), 1),
        ("month", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), date(2026, 12, 1), 1),
        ("month", datetime(2027, 2, 1, tzinfo=UTC), date(2027, 2, 1), 28 * 24 * 60),
    ],
)
def test_a_period_starts_on_its_first_day_and_ends_at_the_next(kind, now, start, end):
    """`end` is in minutes from `now`."""
    assert budgets.period(kind, now) == (start, now + timedelta(minutes=end))


def test_the_call_that_would_cross_the_line_is_refused_and_one_that_fits_is_not(
    alice,
):
    budget = tokens_budget(100)
    now = timezone.now()
    budgets.charge([budget], alice.pk, call(50, 10), None, now)
    with pytest.raises(budgets.OverBudget) as refused:
        budgets.charge([budget], alice.pk, call(30, 11), None, now)  # 101
    assert refused.value.budget == budget.name and "budget 100" in str(refused.value)
    assert spent(budget) == 60  # the refused call charged nothing
    _, after = budgets.charge([budget], alice.pk, call(30, 10), None, now)
    assert spent(budget) == 100 and after == [(budget, Decimal(100))]  # exactly full
    # The refusal stopped the period: new messages wait for it to turn.
    assert budgets.refusal(alice.pk, "math", now).budget == budget.name
    assert budgets.refusal(alice.pk, "math", now + timedelta(days=1)) is None


def test_a_refusal_charges_no_budget_of_the_call(alice):
    roomy = tokens_budget(1000, name="roomy")
    tight = tokens_budget(10, name="tight", scope=Budget.Scope.USER, user=alice)
    with pytest.raises(budgets.OverBudget, match="tight"):
        budgets.charge([roomy, tight], alice.pk, call(20), None, timezone.now())
    assert not BudgetSpend.objects.filter(spent__gt=0).exists()


def test_settling_replaces_the_projection_by_what_the_call_used(alice):
    budget = tokens_budget(10_000)
    charges, _ = budgets.charge(
        [budget], alice.pk, call(100, 4096), None, timezone.now()
    )
    assert spent(budget) == 4196
    budgets.settle(charges, (100, 37), None)
    assert spent(budget) == 137


def test_raising_the_limit_lifts_the_stop(alice):
    budget = tokens_budget(10)
    now = timezone.now()
    with pytest.raises(budgets.OverBudget):
        budgets.charge([budget], alice.pk, call(20), None, now)
    assert budgets.refusal(alice.pk, "math", now) is not None
    Budget.objects.filter(pk=budget.pk).update(limit=100)
    assert budgets.refusal(alice.pk, "math", now) is None


def test_each_user_has_their_own_share_and_other_scopes_stay_apart(alice, bob):
    each = tokens_budget(10, scope=Budget.Scope.EACH_USER)
    now = timezone.now()
    with pytest.raises(budgets.OverBudget):
        budgets.charge([each], alice.pk, call(11), None, now)
    assert budgets.refusal(alice.pk, "math", now) is not None
    assert budgets.refusal(bob.pk, "math", now) is None
    budgets.charge([each], bob.pk, call(10), None, now)
    assert spent(each, str(bob.pk)) == 10
    tokens_budget(5, name="geo only", scope=Budget.Scope.AGENT, agent="geo")
    tokens_budget(5, name="bob only", scope=Budget.Scope.USER, user=bob)
    names = {b.name for b in budgets.over_run(alice.pk, "math")}
    assert names == {each.name}
    assert {b.name for b in budgets.over_run(bob.pk, "geo")} == {
        each.name,
        "geo only",
        "bob only",
    }


@pytest.mark.parametrize("seed", range(3))
def test_racing_calls_never_overrun_and_are_refused_only_when_they_do_not_fit(
    alice, seed
):
    rng = random.Random(seed)
    limit = 300
    budget = tokens_budget(limit)
    amounts = [rng.randint(1, 60) for _ in range(12)]
    now = timezone.now()

    def spend(i: int) -> bool:
        try:
            budgets.charge([budget], alice.pk, call(amounts[i]), None, now)
        except budgets.OverBudget:
            return False
        return True

    admitted = in_threads(len(amounts), spend)
    assert all(isinstance(outcome, bool) for outcome in admitted), admitted
    total = spent(budget)
    assert total == sum(a for a, ok in zip(amounts, admitted, strict=True) if ok)
    assert total <= limit
    # Spend only grows, so a refused call did not fit at the end either.
    for amount, ok in zip(amounts, admitted, strict=True):
        assert ok or total + amount > limit


def test_two_runs_racing_for_the_last_of_a_budget_cannot_both_overrun_it(alice):
    budget = tokens_budget(2048 + 2000)  # one offline turn's projection, not two
    now = timezone.now()
    admitted = in_threads(
        2,
        lambda i: budgets.charge([budget], alice.pk, call(1000, 2048), None, now),
    )
    assert sum(not isinstance(outcome, Exception) for outcome in admitted) == 1
    assert spent(budget) == 3048


async def finished_run(alice, text: str = "what is 2 + 2?"):
    session = await anew_session(alice, "math")
    admission = await submit_message(session.id, "math", text)
    await wait_for_run(admission.run_id)
    events = [e async for e in Event.objects.filter(run_id=admission.run_id)]
    return session, events


async def test_a_run_over_budget_fails_naming_it_and_new_messages_get_429(alice, api):
    await database_sync_to_async(tokens_budget)(1000, name="daily cap")
    session, events = await finished_run(alice)
    error = next(e for e in events if e.type == "error")
    assert error.data["code"] == "budget_exceeded"
    assert "daily cap" in error.data["message"]
    assert events[-1].data["status"] == "failed"
    assert not [e for e in events if e.type in ("delta", "tool_call")]

    url = f"/api/sessions/{session.id}/messages/"
    response = await database_sync_to_async(api.post)(
        url, {"text": "again"}, format="json"
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "budget_exceeded" and "daily cap" in body["detail"]
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    count = await Event.objects.filter(session_id=session.id).acount()
    assert count == len(events)  # the refused message stored nothing


async def test_a_socket_message_over_budget_is_rejected(alice, alice_token):
    budget = await database_sync_to_async(tokens_budget)(10)
    session, _ = await finished_run(alice)
    ws, _ = await open_socket(session.id, alice_token)
    await ws.send_json_to({"type": "message", "text": "again", "client_id": "c1"})
    frames = await receive_until(ws, lambda f: f["type"] == "rejected")
    assert frames[-1]["code"] == "budget_exceeded"
    assert frames[-1]["budget"] == budget.name and frames[-1]["retry_after"] > 0
    await ws.disconnect()


async def test_post_chat_over_budget_is_429_and_leaves_no_session(alice, client):
    await database_sync_to_async(tokens_budget)(10)
    await finished_run(alice)
    before = await Event.objects.acount()
    await database_sync_to_async(client.force_login)(alice)
    response = await database_sync_to_async(client.post)(
        "/chat", {"message": "hi"}, content_type="application/json"
    )
    assert response.status_code == 429 and response.json()["code"] == "budget_exceeded"
    assert await Event.objects.acount() == before


async def test_a_run_settles_to_the_tokens_it_used_and_warns_once_past_the_share(
    alice,
):
    budget = await database_sync_to_async(tokens_budget)(
        100_000, name="soft", soft_share=Decimal("0.01")
    )
    _, events = await finished_run(alice)  # two model turns: a tool call, an answer
    usage = events[-1].data["usage"]
    assert events[-1].data["status"] == "succeeded"
    used = await database_sync_to_async(spent)(budget)
    assert used == usage["input_tokens"] + usage["output_tokens"]
    warnings = [e for e in events if e.type == "info" and "soft" in e.data["text"]]
    assert len(warnings) == 1 and "% used" in warnings[0].data["text"]


async def test_a_cost_budget_counts_the_price_of_the_tokens(alice):
    def setup() -> Budget:
        ModelPrice.objects.create(
            model="offline",
            input_per_million=Decimal(1_000_000),  # one per token
            output_per_million=Decimal(2_000_000),
            effective_from=timezone.now() - timedelta(days=1),
        )
        return Budget.objects.create(
            name="money",
            scope=Budget.Scope.OVERALL,
            period=Budget.Period.MONTH,
            unit=Budget.Unit.COST,
            limit=Decimal(100_000),
        )

    budget = await database_sync_to_async(setup)()
    _, events = await finished_run(alice)
    usage = events[-1].data["usage"]
    used = await database_sync_to_async(spent)(budget)
    assert used == usage["input_tokens"] + 2 * usage["output_tokens"]
    assert float(used) == pytest.approx(usage["cost"])


def test_the_admin_refuses_a_budget_missing_its_user_with_a_form_error(superuser):
    client = logged_in(superuser)
    response = client.post(
        reverse("admin:conversations_budget_add"),
        {
            "name": "for whom?",
            "scope": "user",
            "agent": "",
            "period": "day",
            "unit": "tokens",
            "limit": "100",
            "soft_share": "0.8",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "Choose the user this budget is for." in response.content.decode()
    assert not Budget.objects.exists()


def test_the_admin_lists_what_each_budget_spent_this_period(superuser, alice):
    budget = tokens_budget(500, name="listed")
    budgets.charge([budget], alice.pk, call(123), None, timezone.now())
    client = logged_in(superuser)
    page = client.get(reverse("admin:conversations_budget_changelist"))
    assert page.status_code == 200
    assert "listed" in page.content.decode() and ">123<" in page.content.decode()


async def test_an_agui_run_over_budget_is_429_and_leaves_no_thread(alice, alice_token):
    await database_sync_to_async(tokens_budget)(10)
    await finished_run(alice)
    thread = str(uuid.uuid4())
    response = await agui_post(alice_token, run_input(thread, "hi"))
    assert response.status_code == 429
    assert response.json()["code"] == "budget_exceeded"
    assert int(response["Retry-After"]) > 0
    assert not await ChatSession.objects.filter(pk=thread).aexists()
