"""`POST /api/me/erase/`: a user erases themselves, typing their username to
say they mean it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.api.errors import error_responses
from conversations.erasure import as_fields, erase_user


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
