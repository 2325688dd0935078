"""The staff review of past conversations: what did the agent do, and why?

Sessions are listed with their counts computed in the list query (a correlated
subquery per column, never a query per row), and a session's page shows its
transcript as a timeline one seq range at a time, so a 10,000-event session opens as
fast as a short one. History is evidence: runs, events, feedback and agent state are
read-only here, and only superusers delete sessions or purge a user's data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from agents.events import PERSISTED_TYPES
from conversations.export import session_header, transcript_markdown
from conversations.models import AgentState, ChatSession, Event, Feedback, Run

TIMELINE_PAGE_SIZE = 200
PROBLEM_STATUSES = (Run.Status.FAILED, Run.Status.INTERRUPTED, Run.Status.CANCELLED)
STATUS_COLUMNS = {status: f"runs_{status}" for status in Run.Status.values}


def per_session(rows: QuerySet, aggregate: Any, via: str = "session") -> Coalesce:
    """One aggregate over a session's related rows, as a correlated subquery.

    Subqueries rather than joins: joining runs and events together would multiply
    rows, and the list's search already joins runs.
    """
    values = (
        rows.filter(**{via: OuterRef("pk")})
        .order_by()
        .values(via)
        .annotate(value=aggregate)
        .values("value")
    )
    return Coalesce(Subquery(values), 0)


def session_url(session_id: Any, seq: int | None = None) -> str:
    """A session's review page, opened at `seq` when given."""
    url = reverse("admin:conversations_chatsession_change", args=[session_id])
    return url if seq is None else f"{url}?after={max(seq - 1, 0)}#seq-{seq}"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Entry:
    """One row of the timeline; a tool call carries its outcome when on the page."""

    event: Event
    outcome: Entry | None = None

    @property
    def payload(self) -> str:
        """The structured part of the event, pretty-printed for its card."""
        data = self.event.data
        match self.event.type:
            case "tool_call":
                return pretty(data.get("args"))
            case "tool_result":
                return pretty(data.get("result"))
            case "state_delta":
                return pretty(data.get("changes"))
            case _ if self.event.type not in PERSISTED_TYPES:
                return pretty(data)
        return ""

    @property
    def feedback(self) -> Feedback | None:
        return getattr(self.event, "feedback", None)


def build_entries(events: Iterable[Event]) -> list[Entry]:
    """Fold each tool result or error into the card of its call, when both are on
    the page; call ids repeat across runs, so they are matched within a run."""
    entries: list[Entry] = []
    open_calls: dict[tuple[Any, str], int] = {}
    for event in events:
        key = (event.run_id, event.data.get("call_id"))
        if event.type in {"tool_result", "tool_error"} and key in open_calls:
            index = open_calls.pop(key)
            entries[index] = replace(entries[index], outcome=Entry(event))
            continue
        if event.type == "tool_call":
            open_calls[key] = len(entries)
        entries.append(Entry(event))
    return entries


@dataclass(frozen=True)
class TimelinePage:
    """Events `after`+1 … `last` of a session: one indexed range query, whatever
    the length of the transcript (seqs are gapless, so ranges are exact)."""

    entries: list[Entry]
    after: int
    last: int
    total: int

    @classmethod
    def load(cls, session: ChatSession, after: int) -> TimelinePage:
        after = min(max(after, 0), session.last_seq)
        events = list(
            Event.objects.for_session(session.pk)
            .after(after)
            .select_related("feedback")[:TIMELINE_PAGE_SIZE]
        )
        last = events[-1].seq if events else after
        return cls(build_entries(events), after, last, session.last_seq)

    @property
    def earlier(self) -> int | None:
        return max(self.after - TIMELINE_PAGE_SIZE, 0) if self.after > 0 else None

    @property
    def later(self) -> int | None:
        return self.last if self.last < self.total else None

    @property
    def latest(self) -> int:
        return max(self.total - TIMELINE_PAGE_SIZE, 0)


def parse_after(raw: str | None) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0


class RunStatusFilter(admin.SimpleListFilter):
    """Sessions with at least one run in a status; problems first, as they are
    what a reviewer looks for."""

    title = "run status"
    parameter_name = "run_status"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [
            ("problem", "failed, interrupted or cancelled"),
            *((status, f"has a {status} run") for status in Run.Status.values),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        statuses = PROBLEM_STATUSES if self.value() == "problem" else [self.value()]
        runs = Run.objects.filter(session=OuterRef("pk"), status__in=statuses)
        return queryset.filter(Exists(runs))


class FeedbackFilter(admin.SimpleListFilter):
    """Sessions by the owner's thumbs on answers (sent from the chat page)."""

    title = "user feedback"
    parameter_name = "feedback"
    RATINGS = {"negative": Feedback.Rating.DOWN, "positive": Feedback.Rating.UP}

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [
            ("negative", "has negative feedback"),
            ("positive", "has positive feedback"),
            ("none", "no feedback"),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() not in {*self.RATINGS, "none"}:
            return queryset
        rated = Feedback.objects.filter(event__session=OuterRef("pk"))
        if self.value() == "none":
            return queryset.filter(~Exists(rated))
        return queryset.filter(Exists(rated.filter(rating=self.RATINGS[self.value()])))


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


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "owner",
        "agent",
        "events",
        "runs",
        "tokens",
        "feedback",
        "last_activity",
        "reviewed",
    ]
    list_select_related = ["owner"]
    list_filter = [
        RunStatusFilter,
        FeedbackFilter,
        "reviewed",
        "agent",
        ("owner", admin.RelatedOnlyFieldListFilter),
        "last_activity",
    ]
    search_fields = ["title", "owner__username", "runs__message"]
    search_help_text = "Title, owner's username or the text of a user message."
    date_hierarchy = "created_at"
    ordering = ["-last_activity"]
    fields = ["reviewed", "review_notes", "reviewed_by", "reviewed_at"]
    readonly_fields = ["reviewed_by", "reviewed_at"]
    actions = ["export_jsonl", "export_markdown", "purge_owners"]

    class Media:
        css = {"all": ["admin-review/timeline.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        columns = {
            name: per_session(Run.objects.filter(status=status), Count("pk"))
            for status, name in STATUS_COLUMNS.items()
        }
        tokens = Sum(F("input_tokens") + F("output_tokens"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                **columns,
                tokens=per_session(Run.objects.all(), tokens),
                feedback_up=per_session(
                    Feedback.objects.filter(rating=1), Count("pk"), "event__session"
                ),
                feedback_down=per_session(
                    Feedback.objects.filter(rating=-1), Count("pk"), "event__session"
                ),
            )
        )

    @admin.display(description="events", ordering="last_seq")
    def events(self, session: ChatSession) -> int:
        """Seqs are gapless from 1, so the counter is the count."""
        return session.last_seq

    @admin.display(description="runs by status")
    def runs(self, session: ChatSession) -> str:
        counts = ((s, getattr(session, c)) for s, c in STATUS_COLUMNS.items())
        return format_html_join(
            " ",
            '<span class="review-pill review-pill--{}">{} {}</span>',
            ((status, n, status) for status, n in counts if n),
        )

    @admin.display(description="tokens", ordering="tokens")
    def tokens(self, session: ChatSession) -> int:
        return session.tokens

    @admin.display(description="feedback", ordering="feedback_down")
    def feedback(self, session: ChatSession) -> str:
        down = session.feedback_down
        return format_html(
            '{} up, <span class="{}">{} down</span>',
            session.feedback_up,
            "review-down" if down else "",
            down,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sessions start from the chat page, never here

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_purge_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if obj is not None:
            after = parse_after(request.GET.get("after"))
            context["timeline"] = TimelinePage.load(obj, after)
            context["runs_by_status"] = self.runs(obj)
            context["feedback_counts"] = self.feedback(obj)
            context["runs_url"] = reverse("admin:conversations_run_changelist")
            context["state_url"] = reverse("admin:conversations_agentstate_changelist")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj: ChatSession, form, change) -> None:
        """Save the review fields only: a full save would write back the `last_seq`
        read when the page loaded, undoing seqs a running run allocated since."""
        if "reviewed" in form.changed_data:
            obj.set_reviewed(obj.reviewed, by=request.user)
        obj.save(update_fields=ChatSession.REVIEW_FIELDS)

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Count what goes with the sessions instead of listing every event, and
        without asking for per-event delete permission (refused on purpose: events
        go only with their session)."""
        sessions = ChatSession.objects.filter(pk__in=[s.pk for s in objs])
        return [str(s) for s in objs], self.cascade_counts(sessions), set(), []

    @staticmethod
    def cascade_counts(sessions: QuerySet) -> dict[str, int]:
        return {
            "sessions": sessions.count(),
            "runs": Run.objects.filter(session__in=sessions).count(),
            "events": sessions.aggregate(n=Sum("last_seq"))["n"] or 0,
            "feedback": Feedback.objects.filter(event__session__in=sessions).count(),
            "session state keys": AgentState.objects.filter(
                session__in=sessions
            ).count(),
        }

    def export(
        self,
        queryset: QuerySet,
        extension: str,
        render: Callable[[ChatSession, Iterable[dict]], str],
    ) -> HttpResponse:
        """One download for the selected sessions, oldest first."""
        parts = []
        for session in queryset.select_related("owner").order_by("created_at"):
            events = Event.objects.for_session(session.pk).order_by("seq")
            parts.append(render(session, (e.envelope() for e in events.iterator())))
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(
            "".join(parts), content_type="text/plain; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="sessions-{stamp}.{extension}"'
        )
        return response

    @admin.action(description="Export selected sessions as JSON Lines")
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        """One line per session: `{"session": header, "events": [envelopes]}`, the
        shape of the REST export, compact so each transcript fits one line."""

        def line(session: ChatSession, envelopes: Iterable[dict]) -> str:
            document = {"session": session_header(session), "events": list(envelopes)}
            return json.dumps(document, ensure_ascii=False) + "\n"

        return self.export(queryset, "jsonl", line)

    @admin.action(description="Export selected sessions as Markdown")
    def export_markdown(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self.export(
            queryset, "md", lambda s, e: transcript_markdown(s, e) + "\n"
        )

    @admin.action(
        description="Purge all data of the selected sessions' owners",
        permissions=["purge"],
    )
    def purge_owners(self, request: HttpRequest, queryset: QuerySet):
        """Delete every session and user-scoped agent state of the owners, after a
        confirmation page that says how much goes. Accounts stay."""
        owners = list(get_user_model().objects.filter(pk__in=queryset.values("owner")))
        sessions = ChatSession.objects.filter(owner__in=owners)
        user_state = AgentState.objects.filter(user__in=owners)
        if request.POST.get("post") == "yes":
            with transaction.atomic():
                self.log_deletions(request, sessions)
                sessions.delete()
                user_state.delete()
            names = ", ".join(owner.get_username() for owner in owners)
            self.message_user(request, f"Purged the data of {names}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Purge these users' data?",
            "opts": self.model._meta,
            "owners": owners,
            "counts": {
                **self.cascade_counts(sessions),
                "user state keys": user_state.count(),
            },
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/conversations/chatsession/purge_confirmation.html", context
        )


@admin.register(Run)
class RunAdmin(HistoryAdmin):
    list_display = [
        "__str__",
        "session",
        "status",
        "message",
        "started_at",
        "duration",
        "tokens",
        "seqs",
    ]
    list_select_related = ["session"]
    list_filter = ["status", "started_at"]
    search_fields = ["message", "session__title", "session__owner__username"]
    readonly_fields = ["in_timeline"]

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


@admin.register(Event)
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


@admin.register(Feedback)
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


@admin.register(AgentState)
class AgentStateAdmin(HistoryAdmin):
    list_display = ["key", "scope", "agent", "user", "session", "version", "updated_at"]
    list_select_related = ["user", "session"]
    list_filter = ["scope", "agent"]
    search_fields = ["key", "user__username"]
