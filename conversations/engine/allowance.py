"""A run's budgets as the agent loop's `Allowance`: charged before each model
turn, settled after it (conversations/budgets.py holds the rules).

The budgets over the run and the model's price are read once per drive, at
its first turn, so a run under no budget makes no query per turn.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from agents.llm.base import ModelError, Projection
from conversations import budgets
from conversations.engine.threads import in_db_thread
from conversations.models import Budget, ModelPrice
from conversations.usage import price


class BudgetAllowance:
    """What a run of `user_id` on `agent` may spend."""

    def __init__(self, user_id: Any, agent: str) -> None:
        self.user_id = user_id
        self.agent = agent
        self._budgets: list[Budget] | None = None
        self._price: ModelPrice | None = None
        self._pending: list[budgets.Charge] = []
        self._warned: set[int] = set()  # budgets that warned in this run

    async def charge(self, call: Projection) -> list[str]:
        if self._budgets == []:
            return []
        try:
            charges, spends = await in_db_thread(self._charge, call)
        except budgets.OverBudget as refused:
            raise ModelError(refused.code, refused.message) from None
        self._pending = charges
        warnings = []
        for budget, spent in spends:
            text = budgets.warning(budget, spent)
            if text is not None and budget.pk not in self._warned:
                self._warned.add(budget.pk)
                warnings.append(text)
        return warnings

    def _charge(
        self, call: Projection
    ) -> tuple[list[budgets.Charge], list[tuple[Budget, Decimal]]]:
        now = timezone.now()
        if self._budgets is None:
            self._budgets = budgets.over_run(self.user_id, self.agent)
            if any(each.unit == Budget.Unit.COST for each in self._budgets):
                self._price = price(call.model, now)
        if not self._budgets:
            return [], []
        return budgets.charge(self._budgets, self.user_id, call, self._price, now)

    async def settle(self, call: Projection, used: tuple[int, int] | None) -> None:
        charges, self._pending = self._pending, []
        if charges and used is not None:
            await in_db_thread(budgets.settle, charges, used, self._price)
