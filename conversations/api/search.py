"""`GET /api/search/?q=`: the caller's hits, best first, a page at a time
(conversations/search ranks them and owns the cursor)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from conversations import search
from conversations.api.errors import error_responses

MAX_QUERY = 500


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY,
        help_text='words (all must match), "a phrase", -excluded',
    )
    cursor = serializers.CharField(required=False, max_length=200)
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=20)


class HitSerializer(serializers.Serializer):
    session = serializers.UUIDField(source="session_id")
    seq = serializers.IntegerField()
    type = serializers.CharField()
    snippet = serializers.CharField()
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="[start, end) of each matching word in the snippet",
    )
    ts = serializers.DateTimeField()


class SearchPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = HitSerializer(many=True)


class SearchView(APIView):
    """Full-text search of the caller's transcripts: user messages, answers,
    thoughts, tool arguments and results."""

    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses={200: SearchPageSerializer, **error_responses(400, 401)},
    )
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            hits, cursor = search.hits(
                request.user.pk, data["q"], data.get("cursor"), data["page_size"]
            )
        except search.BadQuery as exc:
            raise ValidationError({"q": [str(exc)]}) from None
        url = request.build_absolute_uri()
        following = (
            None if cursor is None else replace_query_param(url, "cursor", cursor)
        )
        return Response(SearchPageSerializer({"next": following, "results": hits}).data)
