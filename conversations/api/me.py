"""What the signed-in user does about themselves: `POST /api/me/erase/` erases
them (they type their username to say they mean it), `GET /api/usage/` sums
what their runs used."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.api.errors import error_responses
from conversations.erasure import as_fields, erase_user
from conversations.usage import GROUPS, usage_of


class EraseSerializer(serializers.Serializer):
    confirm = serializers.CharField(
        max_length=150, help_text="your username, to confirm"
    )

    def validate_confirm(self, value: str) -> str:
        if value != self.context["request"].user.get_username():
            raise serializers.ValidationError("Type your own username to confirm.")
        return value


class ErasedSerializer(serializers.Serializer):
    erased = serializers.DictField(
        child=serializers.IntegerField(), help_text="what was deleted, by kind"
    )


class EraseMeView(APIView):
    """Erase the signed-in user and everything of theirs, for good."""

    @extend_schema(
        request=EraseSerializer,
        responses={200: ErasedSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = EraseSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        counts = erase_user(request.user, by=request.user)
        return Response(ErasedSerializer({"erased": as_fields(counts)}).data)


class UsageQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUPS, default="day")
    since = serializers.DateField(required=False, help_text="first day, inclusive")
    until = serializers.DateField(required=False, help_text="last day, inclusive")

    def validate(self, data: dict) -> dict:
        if "since" in data and "until" in data and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": "Must not be before since."})
        return data


class UsageRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="the day, agent or model")
    runs = serializers.IntegerField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cost = serializers.FloatField(allow_null=True, help_text="null: no price set")


class UsageSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUPS)
    currency = serializers.CharField()
    results = UsageRowSerializer(many=True)


class UsageView(APIView):
    """The caller's own usage: tokens and cost summed by day, agent or model."""

    @extend_schema(
        parameters=[UsageQuerySerializer],
        responses={200: UsageSerializer, **error_responses(400, 401)},
    )
    def get(self, request: Request) -> Response:
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        group_by = query.validated_data["group_by"]
        rows = usage_of(
            request.user,
            group_by,
            query.validated_data.get("since"),
            query.validated_data.get("until"),
        )
        results = [{"key": row.pop(group_by), **row} for row in rows]
        return Response(
            UsageSerializer(
                {
                    "group_by": group_by,
                    "currency": settings.USAGE_CURRENCY,
                    "results": results,
                }
            ).data
        )
