"""Budgets in the admin: staff set ceilings and see what each has used in
its present period (conversations/budgets.py enforces them)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Max, OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone

from conversations.budgets import present
from conversations.models import Budget, BudgetSpend


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "scope",
        "applies_to",
        "period",
        "unit",
        "limit",
        "soft_share",
        "spent_now",
        "active",
    ]
    list_filter = ["scope", "period", "unit", "active"]
    search_fields = ["name", "agent", "user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    fields = ["name", "scope", "user", "agent", "period", "unit", "limit"]
    fields += ["soft_share", "active"]

    def get_queryset(self, request: HttpRequest):
        """Each budget with the spend of its present period (for 'each user',
        the user who spent most), in the list's one query."""
        spends = (
            BudgetSpend.objects.filter(budget=OuterRef("pk"))
            .filter(present(timezone.now()))
            .values("budget")
            .annotate(most=Max("spent"))
            .values("most")
        )
        return super().get_queryset(request).annotate(spent=Subquery(spends))

    @admin.display(description="for")
    def applies_to(self, budget: Budget) -> str:
        if budget.scope == Budget.Scope.USER:
            return budget.user.get_username()
        return budget.agent or budget.get_scope_display()

    @admin.display(description="spent this period", ordering="spent")
    def spent_now(self, budget: Budget) -> str:
        spent = getattr(budget, "spent", None)
        return "0" if spent is None else f"{spent.normalize():f}"
