"""Usage in the admin: the price table staff keep, and the daily roll-up,
read-only, with a chart of the tokens of what the filters select (one user,
one agent, one model) over time above the list."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Sum
from django.http import HttpRequest

from conversations.admin.history import HistoryAdmin
from conversations.models import ModelPrice, UsageDay

CHART_DAYS = 60  # the newest days of the selection
CHART_HEIGHT = 120


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    list_display = [
        "model",
        "input_per_million",
        "output_per_million",
        "effective_from",
    ]
    list_filter = ["model"]
    search_fields = ["model"]


@admin.register(UsageDay)
class UsageDayAdmin(HistoryAdmin):
    list_display = [
        "day",
        "user",
        "agent",
        "model",
        "runs",
        "input_tokens",
        "output_tokens",
        "cost",
    ]
    list_filter = ["day", "agent", "model", ("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["user__username", "agent", "model"]
    ordering = ["-day"]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["usage_chart"] = chart(changelist.queryset)
        return response


def chart(rows) -> dict:
    """Bars of tokens (input and output stacked) per day, newest CHART_DAYS."""
    days = list(
        rows.order_by()
        .values("day")
        .annotate(
            input=Sum("input_tokens"), output=Sum("output_tokens"), cost=Sum("cost")
        )
        .order_by("-day")[:CHART_DAYS]
    )[::-1]
    peak = max((d["input"] + d["output"] for d in days), default=0) or 1
    width = 12
    bars = []
    for n, d in enumerate(days):
        total = (d["input"] + d["output"]) * CHART_HEIGHT / peak
        out = d["output"] * CHART_HEIGHT / peak
        bars.append(
            {
                "x": n * width,
                "total": round(total, 1),
                "y": round(CHART_HEIGHT - total, 1),
                "output": round(out, 1),
                "output_y": round(CHART_HEIGHT - out, 1),
                "label": f"{d['day']}: {d['input']:,} in, {d['output']:,} out"
                + (f", cost {d['cost']}" if d["cost"] is not None else ""),
            }
        )
    return {
        "bars": bars,
        "width": max(len(days) * width, width),
        "height": CHART_HEIGHT,
        "peak": peak if days else 0,
        "first": days[0]["day"] if days else None,
        "last": days[-1]["day"] if days else None,
    }
