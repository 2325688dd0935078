"""Budgets: ceilings on tokens or cost, enforced before each model call.

A model turn is charged its projection (its input as the model counts it and
its output bound) against every active budget over the run, in one
transaction, with a conditional UPDATE per budget that adds the amount only
where it still fits: two runs racing for the last of a budget are ordered by
the spend row, and the second is refused. After the turn the charge is
settled to what the turn used. A refusal ends the run `budget_exceeded` and
marks the period stopped, so new messages are refused (429) until the period
turns or staff raise the limit.

A turn whose process dies before it settles keeps its projection charged:
the budget errs on the safe side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from agents.llm.base import Projection
from conversations.models import Budget, BudgetSpend, ModelPrice
from conversations.usage import MILLION


class OverBudget(Exception):
    """A budget has not enough left: for a model turn, or at all this period."""

    code = "budget_exceeded"

    def __init__(self, budget: Budget, now: datetime) -> None:
        _, end = period(budget.period, now)
        self.budget = budget.name
        self.retry_after = max(1, math.ceil((end - now).total_seconds()))
        self.message = (
            f"The budget '{budget.name}' ({describe(budget)}) is used up until"
            f" {end:%Y-%m-%d %H:%M} UTC."
        )
        super().__init__(self.message)


@dataclass
class Charge:
    """A turn's projection counted against one budget, to be settled."""

    budget: Budget
    spend_id: int
    amount: Decimal


def period(kind: str, now: datetime) -> tuple[date, datetime]:
    """The first day of the period (UTC) `now` falls in, and when it ends."""
    today = now.astimezone(UTC).date()
    if kind == Budget.Period.DAY:
        start, following = today, today + timedelta(days=1)
    else:
        start = today.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
    return start, datetime.combine(following, datetime.min.time(), UTC)


def describe(budget: Budget) -> str:
    unit = "tokens" if budget.unit == Budget.Unit.TOKENS else "cost"
    return f"{budget.limit.normalize():f} {unit} {budget.get_period_display()}"


def over_run(user_id: Any, agent: str) -> list[Budget]:
    """The active budgets a run of `user_id` on `agent` spends from."""
    return list(Budget.objects.filter(active=True).filter(_over(user_id, agent)))


def _over(user_id: Any, agent: str, via: str = "") -> Q:
    """Budgets over a run of `user_id` on `agent`; `via` prefixes the fields
    when the query starts from another model ("budget__")."""
    return (
        Q(**{f"{via}scope__in": (Budget.Scope.OVERALL, Budget.Scope.EACH_USER)})
        | Q(**{f"{via}scope": Budget.Scope.USER, f"{via}user_id": user_id})
        | Q(**{f"{via}scope": Budget.Scope.AGENT, f"{via}agent": agent})
    )


def present(now: datetime) -> Q:
    """`BudgetSpend` rows of the period their budget is in at `now`."""
    day, _ = period(Budget.Period.DAY, now)
    month, _ = period(Budget.Period.MONTH, now)
    return Q(budget__period=Budget.Period.DAY, period_start=day) | Q(
        budget__period=Budget.Period.MONTH, period_start=month
    )


def _subject(budget: Budget, user_id: Any) -> str:
    return str(user_id) if budget.scope == Budget.Scope.EACH_USER else ""


def amount(budget: Budget, tokens: tuple[int, int], cost: ModelPrice | None) -> Decimal:
    """What `tokens` (input, output) weigh in `budget`'s unit; a model with no
    price costs nothing."""
    used_in, used_out = tokens
    if budget.unit == Budget.Unit.TOKENS:
        return Decimal(used_in + used_out)
    if cost is None:
        return Decimal(0)
    return (
        used_in * cost.input_per_million + used_out * cost.output_per_million
    ) / MILLION


def charge(
    budgets: list[Budget],
    user_id: Any,
    call: Projection,
    cost: ModelPrice | None,
    now: datetime,
) -> tuple[list[Charge], list[tuple[Budget, Decimal]]]:
    """Count `call` against every budget, all or none; return the charges and
    each budget's spend after it. Raises `OverBudget` for the first budget it
    does not fit, which is then stopped for the period."""
    tokens = (call.input_tokens, call.output_tokens)
    charges: list[Charge] = []
    refused: Budget | None = None
    with transaction.atomic():
        for budget in budgets:
            start, _ = period(budget.period, now)
            spend, _ = BudgetSpend.objects.get_or_create(
                budget=budget, subject=_subject(budget, user_id), period_start=start
            )
            weight = amount(budget, tokens, cost)
            fits = BudgetSpend.objects.filter(
                pk=spend.pk, spent__lte=budget.limit - weight
            ).update(spent=F("spent") + weight)
            if not fits:
                refused = budget
                transaction.set_rollback(True)
                break
            charges.append(Charge(budget, spend.pk, weight))
    if refused is not None:
        start, _ = period(refused.period, now)
        BudgetSpend.objects.update_or_create(  # its row may have rolled back
            budget=refused,
            subject=_subject(refused, user_id),
            period_start=start,
            defaults={"stopped_limit": refused.limit},
        )
        raise OverBudget(refused, now)
    spent = dict(
        BudgetSpend.objects.filter(
            pk__in=[each.spend_id for each in charges]
        ).values_list("pk", "spent")
    )
    return charges, [(each.budget, spent[each.spend_id]) for each in charges]


def settle(
    charges: list[Charge], used: tuple[int, int], cost: ModelPrice | None
) -> None:
    """Replace each charge by what the turn used, on the row it was made on
    (even if the period has turned since)."""
    with transaction.atomic():
        for each in charges:
            change = amount(each.budget, used, cost) - each.amount
            if change:
                BudgetSpend.objects.filter(pk=each.spend_id).update(
                    spent=F("spent") + change
                )


def refusal(user_id: Any, agent: str, now: datetime) -> OverBudget | None:
    """Why a new message of `user_id` to `agent` is refused now: a budget over
    it that is used up or was stopped this period at its present limit."""
    stopped = (
        BudgetSpend.objects.filter(budget__active=True)
        .filter(_over(user_id, agent, "budget__"))
        .filter(~Q(budget__scope=Budget.Scope.EACH_USER) | Q(subject=str(user_id)))
        .filter(present(now))
        .filter(
            Q(spent__gte=F("budget__limit")) | Q(stopped_limit__gte=F("budget__limit"))
        )
        .select_related("budget")
        .first()
    )
    return None if stopped is None else OverBudget(stopped.budget, now)


def warning(budget: Budget, spent: Decimal) -> str | None:
    """The soft warning of a budget whose spend reached its soft share."""
    if budget.soft_share is None or spent < budget.soft_share * budget.limit:
        return None
    share = min(spent / budget.limit, Decimal(1))
    return (
        f"The budget '{budget.name}' is {share:.0%} used"
        f" ({spent.normalize():f} of {describe(budget)})."
    )
