"""The audit trail, read-only for everyone: listed, filtered, exported as
JSON Lines; nothing here (or anywhere) edits or deletes a record."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import format_html

from conversations.admin.timeline import session_url
from conversations.audit import json_lines
from conversations.models import AuditRecord


class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "session_link", "subject_user_id"]
    list_filter = ["action", "at"]
    search_fields = ["actor_name", "=session_id", "=subject_user_id"]
    date_hierarchy = "at"
    actions = ["export_jsonl"]
    readonly_fields = [
        "at",
        "actor_name",
        "actor",
        "action",
        "session_link",
        "subject_user_id",
        "detail",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        raise PermissionDenied

    @admin.display(description="session")  # its page, or a 404 once it is deleted
    def session_link(self, record: AuditRecord):
        if record.session_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', session_url(record.session_id), record.session_id
        )

    @admin.action(description="Export selected records as JSON Lines")
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(
            json_lines(queryset.order_by("at", "id").iterator()),
            content_type="application/jsonl; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.jsonl"'
        return response
