"""The record of what happened (runs, events, feedback, agent state), read-only:
history is evidence, so it is looked at and linked to the timeline, never edited."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from agents.events import PERSISTED_TYPES
from conversations.admin.timeline import session_url
from conversations.models import Event, Feedback, Run


class HistoryAdmin(admin.ModelAdmin):
    """Read-only pages for the record of what happened.

    Nothing is added, changed or deleted one by one. Delete permission is still
    granted to superusers because Django asks it of every row a cascade reaches
    (deleting a user takes their sessions' runs and events); the delete page and
    action themselves are refused.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        raise PermissionDenied

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)


class RunAdmin(HistoryAdmin):
    # Newest first, one short line each, so Duration and Tokens fit at 1440 px.
    list_display = ["started", "agent", "status", "short_message", "duration", "tokens"]
    list_display_links = ["started"]
    list_select_related = ["session"]
    list_filter = ["status", "started_at"]
    ordering = ["-created_at"]
    search_fields = ["message", "session__title", "session__owner__username"]
    readonly_fields = ["in_timeline", "seqs", "cancelled_by"]

    @admin.display(description="started", ordering="created_at")
    def started(self, run: Run) -> str:
        return (
            f"{timezone.localtime(run.started_at or run.created_at):%Y-%m-%d %H:%M:%S}"
        )

    @admin.display(description="agent", ordering="session__agent")
    def agent(self, run: Run) -> str:
        return run.session.agent

    @admin.display(description="message")
    def short_message(self, run: Run) -> str:
        text = " ".join(run.message.split())
        return text if len(text) <= 60 else f"{text[:59]}…"

    @admin.display(description="duration")
    def duration(self, run: Run) -> str:
        return "" if run.duration_ms is None else f"{run.duration_ms:.0f} ms"

    @admin.display(description="tokens (in / out)")
    def tokens(self, run: Run) -> str:
        return f"{run.input_tokens} / {run.output_tokens}"

    @admin.display(description="seqs")
    def seqs(self, run: Run) -> str:
        return f"{run.first_seq or '?'} to {run.last_seq or '?'}"

    @admin.display(description="transcript")
    def in_timeline(self, run: Run) -> str:
        url = session_url(run.session_id, run.first_seq)
        return format_html('<a href="{}">Open this run in the timeline</a>', url)


class EventTypeFilter(admin.SimpleListFilter):
    """The wire contract's types, without scanning the event table for them."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [(t, t) for t in sorted(PERSISTED_TYPES)]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        return queryset.filter(type=self.value()) if self.value() else queryset


class EventAdmin(HistoryAdmin):
    list_display = ["__str__", "session", "seq", "type", "ts"]
    list_select_related = ["session"]
    list_filter = [EventTypeFilter, "ts"]
    show_full_result_count = False  # counting the whole log on every page is waste
    readonly_fields = ["in_timeline"]

    @admin.display(description="transcript")
    def in_timeline(self, event: Event) -> str:
        url = session_url(event.session_id, event.seq)
        return format_html('<a href="{}">Open in the timeline</a>', url)


class FeedbackAdmin(HistoryAdmin):
    list_display = ["__str__", "rating", "comment", "answer", "created_at"]
    list_select_related = ["event__session"]
    list_filter = ["rating", "created_at"]
    search_fields = ["comment"]
    readonly_fields = ["answer"]

    @admin.display(description="answer")
    def answer(self, feedback: Feedback) -> str:
        event = feedback.event
        url = session_url(event.session_id, event.seq)
        return format_html('<a href="{}">{} #{}</a>', url, event.session, event.seq)


class AgentStateAdmin(HistoryAdmin):
    list_display = ["key", "scope", "agent", "user", "session", "version", "updated_at"]
    list_select_related = ["user", "session"]
    list_filter = ["scope", "agent"]
    search_fields = ["key", "user__username"]
