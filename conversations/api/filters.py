"""Filters of the session list: agent, run status, creation time, text search."""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

from conversations import search
from conversations.models import ChatSession, Run


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, turned into UTC before it reaches the database.

    PostgreSQL refuses some offsets that ISO allows (`-23:48`), and a time at the
    edge of the calendar may have no UTC equivalent: both are bad input, not a 500.
    """

    def to_python(self, value: str | None) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Out of range.", code="invalid") from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class SessionFilter(filters.FilterSet):
    agent = filters.CharFilter()
    status = filters.ChoiceFilter(
        choices=Run.Status.choices,
        method="filter_status",
        help_text="has a run with this status",
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    original = filters.BooleanFilter(
        field_name="parent",
        lookup_expr="isnull",
        help_text="true: sessions that are no fork (or whose parent was deleted)",
    )
    parent = filters.UUIDFilter(field_name="parent", help_text="forks of this session")
    search = filters.CharFilter(
        method="filter_search",
        help_text="in the title, or the transcript (as GET /api/search/)",
    )

    class Meta:
        model = ChatSession
        fields = [
            "agent",
            "status",
            "created_after",
            "created_before",
            "original",
            "parent",
            "search",
        ]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        runs = Run.objects.filter(session=OuterRef("pk"), status=value)
        return queryset.filter(Exists(runs))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """The title, or the full-text index of the caller's transcripts."""
        try:
            found = search.sessions_matching(self.request.user.pk, value)
        except search.BadQuery:  # no word to look for: only the title can match
            return queryset.filter(title__icontains=value)
        return queryset.filter(Q(title__icontains=value) | Q(pk__in=found))
