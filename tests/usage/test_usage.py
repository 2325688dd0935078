"""Usage and cost: every finished run's tokens priced from the price table in
effect, rolled up per user, agent, model and day in the run's own transaction,
and read back by GET /api/usage/ and the admin without summing events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from agents.events import Final, RunFinished
from conversations.engine.admission import admit_message
from conversations.engine.service import submit_message, wait_for_run
from conversations.engine.storage import finish_run
from conversations.models import Event, ModelPrice, Run, UsageDay
from tests.admin.conftest import logged_in
from tests.admin.transcripts import add_turn
from tests.factories import anew_session, new_session

pytestmark = pytest.mark.django_db(transaction=True)


def set_price(model: str, per_in: str, per_out: str, since=None) -> ModelPrice:
    return ModelPrice.objects.create(
        model=model,
        input_per_million=Decimal(per_in),
        output_per_million=Decimal(per_out),
        effective_from=since or timezone.now() - timedelta(days=1),
    )


async def test_a_run_is_priced_in_its_run_finished_and_rolled_up(alice):
    await database_sync_to_async(set_price)("offline", "2", "10")
    session = await anew_session(alice, "math")
    admission = await submit_message(session.id, "math", "what is 2 + 2?")
    await wait_for_run(admission.run_id)
    finished = await Event.objects.filter(
        run_id=admission.run_id, type="run_finished"
    ).alast()
    usage = finished.data["usage"]
    (share,) = usage["by_model"]
    expected = (share["input_tokens"] * 2 + share["output_tokens"] * 10) / 1_000_000
    assert share["model"] == "offline" and share["cost"] == pytest.approx(expected)
    assert usage["cost"] == share["cost"]
    day = await UsageDay.objects.aget(user=alice)
    assert (day.agent, day.model, day.runs) == ("math", "offline", 1)
    assert day.input_tokens == usage["input_tokens"] > 0
    assert float(day.cost) == pytest.approx(expected)
    run = await Run.objects.aget(pk=admission.run_id)
    assert run.model == "offline"


def test_the_price_in_effect_when_the_run_ends_is_used(alice):
    set_price("served", "1", "1", timezone.now() - timedelta(days=30))
    set_price("served", "3", "3", timezone.now() - timedelta(days=1))
    set_price("served", "100", "100", timezone.now() + timedelta(days=1))
    session = new_session(alice)
    admission = admit_message(session.pk, "priced", None, "reject", 60.0)
    usage = {
        "input_tokens": 1_000_000,
        "output_tokens": 0,
        "by_model": [
            {"model": "served", "input_tokens": 1_000_000, "output_tokens": 0}
        ],
    }
    envelopes = finish_run(
        admission.run_id, session.pk, [], RunFinished("succeeded", 5.0, usage)
    )
    assert envelopes[-1]["data"]["usage"]["cost"] == 3.0
    assert UsageDay.objects.get(user=alice).cost == Decimal("3")


def test_unpriced_models_cost_null_and_cancelled_runs_count(alice):
    add_turn(new_session(alice), "hi", [Final("hello")], status="cancelled")
    (day,) = UsageDay.objects.filter(user=alice)
    assert (day.runs, day.input_tokens, day.cost) == (1, 120, None)
    finished = Event.objects.filter(session__owner=alice, type="run_finished").get()
    assert finished.data["usage"]["cost"] is None


def test_the_api_sums_the_callers_usage_by_day_agent_or_model(alice, bob, api):
    for agent in ("math", "geo", "geo"):
        add_turn(new_session(alice, agent), "hi", [Final("hello")])
    add_turn(new_session(bob, "geo"), "hi", [Final("hello")])
    today = timezone.now().date().isoformat()

    by_agent = api.get("/api/usage/?group_by=agent").json()
    assert by_agent["group_by"] == "agent" and by_agent["currency"] == "USD"
    assert [(r["key"], r["runs"], r["input_tokens"]) for r in by_agent["results"]] == [
        ("geo", 2, 240),
        ("math", 1, 120),
    ]
    assert by_agent["results"][0]["cost"] is None  # no model, no price
    (day,) = api.get("/api/usage/").json()["results"]
    assert (day["key"], day["runs"]) == (today, 3)
    assert api.get(f"/api/usage/?since={today}&until={today}").json()["results"]
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert api.get(f"/api/usage/?since={tomorrow}").json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=week", "group_by"),
        ("since=yesterday", "since"),
        ("since=2026-12-09&until=2026-12-01", "until"),
    ],
)
def test_bad_usage_queries_are_400s_naming_the_field(api, query, field):
    response = api.get(f"/api/usage/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_admin_charts_usage_and_keeps_the_price_table(superuser, alice):
    add_turn(new_session(alice, "geo"), "hi", [Final("hello")])
    client = logged_in(superuser)
    page = client.get(reverse("admin:conversations_usageday_changelist"))
    assert page.status_code == 200
    assert b'class="usage-chart"' in page.content and b"<rect" in page.content
    filtered = client.get(
        reverse("admin:conversations_usageday_changelist") + "?agent=math"
    )
    assert b'class="usage-chart"' not in filtered.content  # nothing selected
    added = client.post(
        reverse("admin:conversations_modelprice_add"),
        {
            "model": "gpt-x",
            "input_per_million": "0.5",
            "output_per_million": "1.5",
            "effective_from_0": "2026-12-01",
            "effective_from_1": "00:00:00",
        },
    )
    assert added.status_code == 302
    assert ModelPrice.objects.filter(model="gpt-x").exists()
