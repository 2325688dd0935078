"""The session list and a session's review page: counts per row, filters, the
review form, exports and the purge of an owner's data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from conversations import audit, search
from conversations.admin.layout import WithoutNavSidebar
from conversations.admin.lineage import Lineage
from conversations.admin.timeline import TimelinePage, parse_after
from conversations.engine.service import delete_session
from conversations.erasure import session_counts
from conversations.export import transcript_json_line, transcript_markdown
from conversations.models import (
    AgentState,
    ChatSession,
    Event,
    Feedback,
    Run,
)

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


def with_counts(sessions: QuerySet) -> QuerySet:
    """Sessions with what the list shows per row: runs by status, tokens and the
    owner's feedback, as correlated subqueries."""
    columns = {
        name: per_session(Run.objects.filter(status=status), Count("pk"))
        for status, name in STATUS_COLUMNS.items()
    }
    tokens = Sum(F("input_tokens") + F("output_tokens"))
    return sessions.annotate(
        **columns,
        tokens=per_session(Run.objects.all(), tokens),
        feedback_up=per_session(
            Feedback.objects.filter(rating=Feedback.Rating.UP),
            Count("pk"),
            "event__session",
        ),
        feedback_down=per_session(
            Feedback.objects.filter(rating=Feedback.Rating.DOWN),
            Count("pk"),
            "event__session",
        ),
    )


def add_counts(session: ChatSession) -> None:
    """Give one session the attributes `with_counts` annotates, from two grouped
    queries. Compiling the list's eight subqueries cost a review page about 6 ms,
    more than running them."""
    runs = (
        Run.objects.filter(session=session)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), used=Sum(F("input_tokens") + F("output_tokens")))
    )
    session.tokens = 0
    for name in STATUS_COLUMNS.values():
        setattr(session, name, 0)
    for row in runs:
        setattr(session, STATUS_COLUMNS[row["status"]], row["n"])
        session.tokens += row["used"] or 0
    ratings = dict(
        Feedback.objects.filter(event__session=session)
        .order_by()
        .values("rating")
        .annotate(n=Count("pk"))
        .values_list("rating", "n")
    )
    session.feedback_up = ratings.get(Feedback.Rating.UP, 0)
    session.feedback_down = ratings.get(Feedback.Rating.DOWN, 0)


def article(word: str) -> str:
    """The article before a status word: "an interrupted run", "a failed run"."""
    return "an" if word[:1].lower() in "aeiou" else "a"


class RunStatusFilter(admin.SimpleListFilter):
    """Sessions with at least one run in a status; problems first, as they are
    what a reviewer looks for."""

    title = "run status"
    parameter_name = "run_status"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [
            ("problem", "failed, interrupted or cancelled"),
            *(
                (status, f"has {article(status)} {status} run")
                for status in Run.Status.values
            ),
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


class VersionFilter(admin.SimpleListFilter):
    """Originals or forks. Told by the fork point rather than the parent link: a
    fork whose parent was deleted loses the link (SET_NULL) but not its copied
    events, and its page still says it is a fork. (The API's `original` filter
    goes by the link and counts such a fork as an original.)"""

    title = "original or fork"
    parameter_name = "version"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [("original", "original"), ("fork", "fork")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() not in {"original", "fork"}:
            return queryset
        return queryset.filter(forked_at__isnull=self.value() == "original")


class ChatSessionAdmin(WithoutNavSidebar, admin.ModelAdmin):
    list_display = [
        "chat_session",
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
        VersionFilter,
        "reviewed",
        "agent",
        ("owner", admin.RelatedOnlyFieldListFilter),
        "last_activity",
    ]
    search_fields = ["title", "owner__username"]
    search_help_text = (
        "Title, owner's username, or words of the transcript (full text:"
        ' "a phrase", -excluded).'
    )
    date_hierarchy = "created_at"
    ordering = ["-last_activity"]
    fields = ["reviewed", "review_notes", "reviewed_by", "reviewed_at"]
    readonly_fields = ["reviewed_by", "reviewed_at"]
    actions = ["export_jsonl", "export_markdown", "purge_owners"]

    class Media:
        css = {"all": ["admin-review/timeline.css"]}

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """The title and owner as Django searches them, or any session whose
        transcript matches in the full-text index (everyone's: staff)."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        try:
            matching = search.sessions_matching(None, search_term)
        except search.BadQuery:
            return found, duplicates
        return found | queryset.filter(pk__in=matching), duplicates

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """The list's per-row counts for the list only; the review page adds its
        own (`add_counts`), cheaper for one session."""
        sessions = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name.endswith("_changelist"):
            return with_counts(sessions)
        return sessions

    @admin.display(description="chat session")
    def chat_session(self, session: ChatSession) -> str:
        """The title, and a fork's fork point from its own row (no join): inside
        the row's link, so a badge rather than a link to the parent."""
        if session.forked_at is None:
            return str(session)
        return format_html(
            '{} <span class="review-pill review-pill--fork" title="A fork of '
            'another session at its event {}">fork at #{}</span>',
            session,
            session.forked_at,
            session.forked_at,
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
            if request.method == "GET":
                audit.record(
                    request.user,
                    audit.Action.READ_TRANSCRIPT,
                    session_id=obj.pk,
                    subject_user_id=obj.owner_id,
                    after=after,
                )
            add_counts(obj)
            context["timeline"] = TimelinePage.load(obj, after)
            context["lineage"] = Lineage.load(obj)
            context["runs_by_status"] = self.runs(obj)
            context["feedback_counts"] = self.feedback(obj)
            context["runs_url"] = reverse("admin:conversations_run_changelist")
            context["state_url"] = reverse("admin:conversations_agentstate_changelist")
            context["approvals_url"] = reverse(
                "admin:conversations_approval_changelist"
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj: ChatSession, form, change) -> None:
        """Save the review fields only: a full save would write back the `last_seq`
        read when the page loaded, undoing seqs a running run allocated since."""
        if "reviewed" in form.changed_data:
            obj.set_reviewed(obj.reviewed, by=request.user)
        obj.save(update_fields=ChatSession.REVIEW_FIELDS)

    def delete_model(self, request: HttpRequest, obj: ChatSession) -> None:
        """Through the engine, so a run streaming in the session stops cleanly."""
        delete_session(obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for session_id in list(queryset.values_list("pk", flat=True)):
            delete_session(session_id)

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Count what goes with the sessions instead of listing every event, and
        without asking for per-event delete permission (refused on purpose: events
        go only with their session)."""
        sessions = ChatSession.objects.filter(pk__in=[s.pk for s in objs])
        return [str(s) for s in objs], session_counts(sessions), set(), []

    def export(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        extension: str,
        render: Callable[[ChatSession, Iterable[dict]], str],
    ) -> HttpResponse:
        """One download for the selected sessions, oldest first; each one
        exported is an audit record."""
        parts = []
        for session in queryset.select_related("owner").order_by("created_at"):
            audit.record(
                request.user,
                audit.Action.EXPORT,
                session_id=session.pk,
                subject_user_id=session.owner_id,
                format=extension,
            )
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

        return self.export(request, queryset, "jsonl", transcript_json_line)

    @admin.action(description="Export selected sessions as Markdown")
    def export_markdown(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self.export(
            request, queryset, "md", lambda s, e: transcript_markdown(s, e) + "\n"
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
            for owner in owners:
                audit.record(
                    request.user,
                    audit.Action.PURGE_USER_DATA,
                    subject_user_id=owner.pk,
                    sessions=ChatSession.objects.filter(owner=owner).count(),
                )
            self.log_deletions(request, sessions)
            self.delete_queryset(request, sessions)
            user_state.delete()
            search.forget_deleted()
            names = ", ".join(owner.get_username() for owner in owners)
            self.message_user(request, f"Purged the data of {names}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Purge these users' data?",
            "opts": self.model._meta,
            "owners": owners,
            "counts": {
                **session_counts(sessions),
                "user state keys": user_state.count(),
            },
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/conversations/chatsession/purge_confirmation.html", context
        )
