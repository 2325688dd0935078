"""Filters of the session list: agent, run status, creation time, text search."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters import rest_framework as filters

from conversations.models import ChatSession, Event, Run


class SessionFilter(filters.FilterSet):
    agent = filters.CharFilter()
    status = filters.ChoiceFilter(
        choices=Run.Status.choices,
        method="filter_status",
        help_text="has a run with this status",
    )
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte"
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt"
    )
    search = filters.CharFilter(
        method="filter_search", help_text="title and message text"
    )

    class Meta:
        model = ChatSession
        fields = ["agent", "status", "created_after", "created_before", "search"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        runs = Run.objects.filter(session=OuterRef("pk"), status=value)
        return queryset.filter(Exists(runs))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        messages = Event.objects.filter(
            session=OuterRef("pk"), type="user_message", data__text__icontains=value
        )
        return queryset.filter(Q(title__icontains=value) | Exists(messages))
