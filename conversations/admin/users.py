"""The user list gains "Erase user data": everything of the selected users and
their accounts, after a page that says how much goes (superusers only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from conversations.erasure import erase_user, user_counts


class ErasingUserAdmin(UserAdmin):
    actions = [*UserAdmin.actions, "erase_users"]

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    @admin.action(description="Erase user data", permissions=["erase"])
    def erase_users(self, request: HttpRequest, queryset: QuerySet):
        users = list(queryset)
        if request.POST.get("post") == "yes":
            for user in users:
                erase_user(user, by=request.user)
            self.message_user(
                request,
                f"Erased {len(users)} user(s) and all their data.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Erase these users?",
            "opts": self.model._meta,
            "people": [(user, user_counts(user)) for user in users],
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/auth/user/erase_confirmation.html", context
        )
