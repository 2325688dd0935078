"""Decisions taken in the admin: on an approval's page, or on the inbox's
selected rows.

Each goes through `resolve_approval`, the engine's one path, as the deciding
staff member: it checks who may decide, stores the decision with its
`approval_resolved` event and wakes the run. The admin adds one rule: deciding
here needs `conversations.resolve_approval`, so staff who may only view the
inbox see no control, not even on their own sessions' approvals. The views are
sync; `async_to_sync` hands the coroutine to the server's event loop, as the
REST API does, so a run woken here outlives the request.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from asgiref.sync import async_to_sync
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import reverse

from conversations.engine.approvals import (
    AlreadyResolved,
    ApprovalForbidden,
    ApprovalNotFound,
    BadArguments,
    may_decide,
)
from conversations.engine.service import resolve_approval
from conversations.inputs import (
    MAX_REASON_LENGTH,
    BadInput,
    decode_json,
    parse_decision,
)
from conversations.models import RESOLVE_PERMISSION, Approval

ALREADY_DECIDED = "This approval was already decided."
BY_OWNER = "Decided by the session's owner."
BY_STAFF = (
    "Decided by staff holding the permission "
    "“Can decide tool calls that need staff approval”."
)


def refusal(approval: Approval, user: Any) -> str:
    """Why `user` may not decide `approval` in the admin, or "" if they may."""
    if approval.status != Approval.Status.PENDING:
        return ALREADY_DECIDED
    if not may_decide(approval, user):
        return BY_OWNER if approval.approver == Approval.Approver.OWNER else BY_STAFF
    if not user.has_perm(RESOLVE_PERMISSION):
        return BY_STAFF
    return ""


def decision_fields(post: Any) -> dict:
    """The page's form in the protocol's terms (`parse_decision` checks them).
    The arguments box is filled with the call's own arguments, so it counts only
    for an approval: unchanged, the call runs as asked; edited, as edited. There
    is no `remember`: consent kept for later calls is the owner's to give."""
    fields = {"decision": post.get("decision"), "reason": post.get("reason", "")}
    raw = post.get("args", "").strip()
    if fields["decision"] == "approve" and raw:
        fields["args"] = decode_json(raw)
    return fields


class DecisionActionForm(helpers.ActionForm):
    """The inbox's action bar, with the reason a selection is decided for."""

    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        label="Reason (told to the model)",
    )


class DecisionActions:
    """The decide view of an approval's page and the inbox's two actions, for a
    `ModelAdmin` of `Approval`."""

    action_form = DecisionActionForm
    actions = ["approve_selected", "reject_selected"]

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RESOLVE_PERMISSION)

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Decide one approval from its page's form, then show the page again
        with what happened as a message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        approval = self.get_object(request, unquote(object_id))
        if approval is None:
            raise Http404
        if not (
            self.has_view_permission(request, approval)
            and self.has_resolve_permission(request)
        ):
            raise PermissionDenied
        try:
            approve, args, reason, _ = parse_decision(decision_fields(request.POST))
            resolve_as(request, approval, approve, args, reason)
        except (BadInput, BadArguments) as error:
            self.message_user(request, f"Not decided: {error}.", messages.ERROR)
        except AlreadyResolved:
            self.message_user(request, ALREADY_DECIDED, messages.ERROR)
        except (ApprovalNotFound, ApprovalForbidden):
            raise PermissionDenied from None
        else:
            verb = "Approved" if approve else "Rejected"
            self.message_user(
                request, f"{verb} the call of {approval.tool}.", messages.SUCCESS
            )
        page = reverse("admin:conversations_approval_change", args=[approval.pk])
        return HttpResponseRedirect(page)

    @admin.action(description="Approve selected calls", permissions=["resolve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.decide_selected(request, queryset, approve=True)

    @admin.action(description="Reject selected calls", permissions=["resolve"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.decide_selected(request, queryset, approve=False)

    def decide_selected(
        self, request: HttpRequest, queryset: QuerySet, approve: bool
    ) -> None:
        """Decide every selected approval the user may decide, as asked, and
        say how many were left and why."""
        content = {
            "decision": "approve" if approve else "reject",
            "reason": request.POST.get("reason", ""),
        }
        try:
            _, _, reason, _ = parse_decision(content)
        except BadInput as error:
            self.message_user(request, f"Nothing decided: {error}.", messages.ERROR)
            return
        selected = list(queryset)
        decided, left = 0, Counter()
        for approval in selected:
            why = refusal(approval, request.user)
            if not why:
                try:
                    resolve_as(request, approval, approve, None, reason)
                    decided += 1
                    continue
                except AlreadyResolved:  # decided since the list was shown
                    why = ALREADY_DECIDED
            left[why] += 1
        verb = "Approved" if approve else "Rejected"
        self.message_user(request, f"{verb} {decided} of {len(selected)} calls.")
        for why, count in left.items():
            self.message_user(request, f"{count} left: {why}", messages.WARNING)


def resolve_as(
    request: HttpRequest,
    approval: Approval,
    approve: bool,
    args: dict | None,
    reason: str,
) -> Approval:
    """The engine's decision, as the request's user."""
    return async_to_sync(resolve_approval)(
        approval.pk, request.user, approve, args, reason
    )
