"""Usage and cost: pricing a run's tokens, rolling them up, reading them back.

A run's `run_finished.usage` is priced here when the run finishes (whatever
ended it: success, failure, cancel, recovery), from the `ModelPrice` in
effect then, and added in the same transaction to the `UsageDay` row of its
user, agent, model and day. Every usage figure is read from those rows, so a
user's usage over a year is a sum of a few hundred rows, never of events.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce

from conversations.models import ModelPrice, Run, UsageDay

MILLION = Decimal(1_000_000)
COST_PLACES = Decimal("0.000001")
GROUPS = ("day", "agent", "model")


def price(model: str, at: datetime) -> ModelPrice | None:
    """The price of `model` in effect at `at`, if staff set one."""
    return (
        ModelPrice.objects.filter(model=model, effective_from__lte=at)
        .order_by("-effective_from")
        .first()
    )


def cost_of(
    model: str, input_tokens: int, output_tokens: int, at: datetime
) -> Decimal | None:
    found = price(model, at)
    if found is None:
        return None
    total = (
        input_tokens * found.input_per_million
        + output_tokens * found.output_per_million
    ) / MILLION
    return total.quantize(COST_PLACES)


def priced(usage: dict[str, Any], at: datetime) -> dict[str, Any]:
    """`usage` with the cost of each model's share and in all (None where a
    model has no price), as `run_finished.usage` carries it (costs as numbers)."""
    by_model = [
        {
            **entry,
            "cost": _number(
                cost_of(
                    entry["model"], entry["input_tokens"], entry["output_tokens"], at
                )
            ),
        }
        for entry in usage.get("by_model", ())
    ]
    costs = [entry["cost"] for entry in by_model]
    total = None if not costs or None in costs else round(sum(costs), 6)
    return {**usage, "cost": total, "by_model": by_model}


def roll_up(run_id: Any, usage: dict[str, Any], at: datetime) -> None:
    """Add a finished run's priced usage to its user's day (the caller's
    transaction). Tokens no model claimed (a run recovered after a crash
    before its first model turn was counted) go under model ""."""
    run = Run.objects.select_related("session").get(pk=run_id)
    shares = list(usage.get("by_model", ()))
    if not shares:
        shares = [{"model": "", **usage, "cost": None}]
    for share in shares:
        row, _ = UsageDay.objects.get_or_create(
            user_id=run.session.owner_id,
            agent=run.session.agent,
            model=share["model"],
            day=at.date(),
        )
        changes: dict[str, Any] = {
            "runs": F("runs") + 1,
            "input_tokens": F("input_tokens") + share.get("input_tokens", 0),
            "output_tokens": F("output_tokens") + share.get("output_tokens", 0),
        }
        if share.get("cost") is not None:
            changes["cost"] = Coalesce(F("cost"), Value(Decimal(0))) + Decimal(
                str(share["cost"])
            )
        UsageDay.objects.filter(pk=row.pk).update(**changes)


def usage_of(
    user: Any, group_by: str, since: date | None = None, until: date | None = None
) -> list[dict[str, Any]]:
    """The user's usage summed by day, agent or model, within [since, until]."""
    rows = UsageDay.objects.filter(user=user)
    if since is not None:
        rows = rows.filter(day__gte=since)
    if until is not None:
        rows = rows.filter(day__lte=until)
    sums = (
        rows.values(group_by)
        .annotate(
            run_count=Sum("runs"),
            input=Sum("input_tokens"),
            output=Sum("output_tokens"),
            total_cost=Sum("cost"),
        )
        .order_by(group_by)
    )
    return [
        {
            group_by: str(entry[group_by]),
            "runs": entry["run_count"],
            "input_tokens": entry["input"],
            "output_tokens": entry["output"],
            "cost": _number(entry["total_cost"]),
        }
        for entry in sums
    ]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
