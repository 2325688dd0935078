"""REST for approvals and remembered grants (PROTOCOL.md section 5).

`/api/approvals/` lists what the caller may see (their own sessions', and for
holders of `resolve_approval` the staff ones); `resolve/` takes the same fields
as the WebSocket `resolve` frame and goes through the same engine call, so a
decision is the same whichever way it comes in. Grants are their owner's only.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from conversations.api.pagination import ApprovalCursorPagination
from conversations.api.serializers import ErrorSerializer
from conversations.engine.approvals import (
    AlreadyResolved,
    ApprovalForbidden,
    ApprovalNotFound,
    BadArguments,
    RememberRefused,
)
from conversations.engine.service import resolve_approval
from conversations.inputs import (
    MAX_REASON_LENGTH,
    REMEMBER_SCOPES,
    BadInput,
    parse_decision,
)
from conversations.models import Approval, Grant


class ApprovalSerializer(serializers.ModelSerializer):
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    args = serializers.JSONField(help_text="The arguments as the model wrote them.")
    decided_args = serializers.JSONField(
        allow_null=True, help_text="The arguments the call runs with, once decided."
    )

    class Meta:
        model = Approval
        fields = [
            "id",
            "session",
            "run",
            "agent",
            "call_id",
            "tool",
            "args",
            "approver",
            "status",
            "requested_at",
            "expires_at",
            "decided_at",
            "decided_by",
            "decision",
            "decided_args",
            "reason",
            "execution",
        ]
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    """The body of `resolve/`: the WebSocket frame's fields, checked by the
    one rule both share (`inputs.parse_decision`)."""

    decision = serializers.ChoiceField(choices=["approve", "reject"])
    args = serializers.JSONField(
        required=False, help_text="Edited arguments, checked against the tool's schema."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REASON_LENGTH
    )
    remember = serializers.ChoiceField(choices=REMEMBER_SCOPES, required=False)

    def validate(self, attrs: dict) -> dict:
        try:
            approve, args, reason, remember = parse_decision(self.initial_data)
        except BadInput as error:
            raise ValidationError(str(error)) from None
        return {
            "approve": approve,
            "args": args,
            "reason": reason,
            "remember": remember,
        }


class GrantSerializer(serializers.ModelSerializer):
    session_title = serializers.CharField(
        source="session.title",
        read_only=True,
        allow_null=True,
        help_text="The title of the session a `session` grant holds in, else null.",
    )

    class Meta:
        model = Grant
        fields = [
            "id",
            "agent",
            "scope",
            "session",
            "session_title",
            "tool",
            "approval",
            "created_at",
        ]
        read_only_fields = fields


class ApprovalStatusFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=Approval.Status.values, required=False)


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    texts = {
        400: "Bad input, or edited args that do not fit the tool (still pending).",
        401: "Not signed in.",
        403: "A staff approval, and you lack `conversations.resolve_approval`.",
        404: "No such approval that you may see.",
        409: "Decided (or expired) already.",
    }
    return {c: OpenApiResponse(ErrorSerializer, description=texts[c]) for c in codes}


@extend_schema_view(
    list=extend_schema(
        parameters=[ApprovalStatusFilter],
        responses={200: ApprovalSerializer(many=True), **_errors(400, 401)},
    ),
    retrieve=extend_schema(responses={200: ApprovalSerializer, **_errors(401, 404)}),
)
class ApprovalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tool calls waiting for a decision, and the decisions made."""

    serializer_class = ApprovalSerializer
    pagination_class = ApprovalCursorPagination

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Approval.objects.none()
        found = Approval.objects.visible_to(self.request.user).select_related(
            "decided_by"
        )
        if self.action == "list":
            wanted = ApprovalStatusFilter(data=self.request.query_params)
            wanted.is_valid(raise_exception=True)
            if "status" in wanted.validated_data:
                found = found.filter(status=wanted.validated_data["status"])
        return found

    @extend_schema(
        request=ResolveSerializer,
        responses={200: ApprovalSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Approve (optionally with edited `args`, and `remember` for later
        calls) or reject (with a `reason`); the run goes on at once."""
        approval = self.get_object()
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = body.validated_data
        try:
            decided = async_to_sync(resolve_approval)(
                approval.pk,
                request.user,
                decision["approve"],
                decision["args"],
                decision["reason"],
                decision["remember"],
            )
        except ApprovalNotFound:
            return Response(
                {"detail": "No such approval."}, status=status.HTTP_404_NOT_FOUND
            )
        except ApprovalForbidden:
            raise PermissionDenied("Only staff may decide this approval.") from None
        except AlreadyResolved:
            return Response(
                {"detail": "This approval was decided already."},
                status=status.HTTP_409_CONFLICT,
            )
        except BadArguments as error:
            raise ValidationError({"args": [str(error)]}) from None
        except RememberRefused as error:
            raise ValidationError({"remember": [str(error)]}) from None
        return Response(ApprovalSerializer(decided).data)


@extend_schema_view(
    list=extend_schema(responses={200: GrantSerializer(many=True), **_errors(401)}),
    destroy=extend_schema(responses={204: None, **_errors(401, 404)}),
)
class GrantViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Remembered consent: listed and revoked by its owner."""

    serializer_class = GrantSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Grant.objects.none()
        return Grant.objects.filter(user=self.request.user).select_related("session")
