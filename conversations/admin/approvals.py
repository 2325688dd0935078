"""The approval inbox: gated tool calls, pending first, and the page of each.

Nobody edits an approval by hand: its rows are written with their events by the
engine, and a decision taken here goes through the engine's one path
(`conversations.admin.decisions`), which stores the `approval_resolved` event
and wakes the run. The list costs the same few queries whatever its length:
sessions are joined, and the timeline seqs of a page's requests come in one
query after paging.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Case, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil

from conversations.admin.decisions import DecisionActions, refusal
from conversations.admin.history import HistoryAdmin
from conversations.admin.layout import WithoutNavSidebar
from conversations.admin.timeline import pretty, session_url
from conversations.models import Approval, Event

# Pending rows sort before decided ones; 0 and 1 rather than the status words,
# whose alphabetical order puts "pending" between "expired" and "rejected".
PENDING_FIRST = Case(
    When(status=Approval.Status.PENDING, then=Value(0)), default=Value(1)
).asc()


def attach_request_seqs(approvals: list[Approval]) -> None:
    """Give each approval `request_seq`, the seq of its `approval_requested`
    event (None if missing), from one query over the approvals' runs."""
    found = Event.objects.filter(
        run_id__in={a.run_id for a in approvals},
        type="approval_requested",
        data__approval__in=[str(a.pk) for a in approvals],
    ).values_list("seq", "data")
    seqs = {data["approval"]: seq for seq, data in found}
    for approval in approvals:
        approval.request_seq = seqs.get(str(approval.pk))


class InboxChangeList(ChangeList):
    """The list, each row knowing where its request sits in the timeline."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        attach_request_seqs(self.result_list)


class AgeFilter(admin.SimpleListFilter):
    """Requests older than a bound: the ones somebody has kept waiting."""

    title = "age"
    parameter_name = "age"
    AGES = {
        "1h": ("older than 1 hour", timedelta(hours=1)),
        "1d": ("older than 1 day", timedelta(days=1)),
        "1w": ("older than 1 week", timedelta(weeks=1)),
    }

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.AGES.items()]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() not in self.AGES:
            return queryset
        _, age = self.AGES[self.value()]
        return queryset.filter(requested_at__lte=timezone.now() - age)


class ApprovalAdmin(WithoutNavSidebar, DecisionActions, HistoryAdmin):
    """Read-only like the record of runs (no add, change or delete here; rows go
    with their session), plus the decide controls of `DecisionActions`."""

    list_display = [
        "tool",
        "agent",
        "in_session",
        "approver",
        "state",
        "requested",
        "expires",
    ]
    list_display_links = ["tool"]
    list_filter = ["status", AgeFilter, "approver", "tool", "agent"]
    search_fields = ["tool", "session__title"]
    search_help_text = "Tool name or session title."
    ordering = [PENDING_FIRST, "-requested_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "tool",
                    "agent",
                    "in_session",
                    "approver",
                    "status",
                    "requested_at",
                    "expires_at",
                ]
            },
        ),
        ("Call", {"fields": ["call_id", "run_link", "arguments"]}),
        (
            "Decision",
            {
                "fields": [
                    "decision",
                    "decided_by",
                    "decided_at",
                    "reason",
                    "decided_arguments",
                    "execution",
                ]
            },
        ),
    ]
    readonly_fields = ["in_session", "run_link", "arguments", "decided_arguments"]

    class Media:
        css = {"all": ["admin-review/timeline.css", "admin-review/approvals.css"]}

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return InboxChangeList

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """With the session, which every page shows and `may_decide` reads."""
        return super().get_queryset(request).select_related("session")

    def get_urls(self) -> list:
        decide = path(
            "<path:object_id>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="conversations_approval_decide",
        )
        return [decide, *super().get_urls()]

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        """The read-only page, with the decide form or the reason there is none."""
        if obj is not None:
            context["refusal"] = refusal(obj, request.user)
            context["decide_url"] = reverse(
                "admin:conversations_approval_decide", args=[obj.pk]
            )
            context["args_json"] = pretty(obj.args)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="session", ordering="session__title")
    def in_session(self, approval: Approval) -> str:
        """The session's review page, opened at the request's card. The list
        attached the seqs of its page; the approval's own page asks here."""
        if not hasattr(approval, "request_seq"):
            attach_request_seqs([approval])
        url = session_url(approval.session_id, approval.request_seq)
        return format_html('<a href="{}">{}</a>', url, approval.session)

    @admin.display(description="status", ordering="status")
    def state(self, approval: Approval) -> str:
        return format_html(
            '<span class="review-pill approval-pill--{}">{}</span>',
            approval.status,
            approval.get_status_display(),
        )

    @admin.display(description="requested", ordering="requested_at")
    def requested(self, approval: Approval) -> str:
        return f"{timesince(approval.requested_at, depth=1)} ago"

    @admin.display(description="expires", ordering="expires_at")
    def expires(self, approval: Approval) -> str:
        """How long a pending request has left; the time itself once decided."""
        if approval.status == Approval.Status.PENDING:
            if approval.expires_at > timezone.now():
                return f"in {timeuntil(approval.expires_at, depth=1)}"
            return "due now"
        return f"{timezone.localtime(approval.expires_at):%Y-%m-%d %H:%M}"

    @admin.display(description="run")
    def run_link(self, approval: Approval) -> str:
        url = reverse("admin:conversations_run_change", args=[approval.run_id])
        return format_html('<a href="{}">{}</a>', url, approval.run_id)

    @admin.display(description="arguments (as the model wrote them)")
    def arguments(self, approval: Approval) -> str:
        return format_html('<pre class="approval-args">{}</pre>', pretty(approval.args))

    @admin.display(description="arguments decided on")
    def decided_arguments(self, approval: Approval) -> str:
        if approval.decided_args is None:
            return "-"
        return format_html(
            '<pre class="approval-args">{}</pre>', pretty(approval.decided_args)
        )
