"""Shapes of the REST API: input and output serializers, no workflow."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from conversations.agent_factory import agent_names
from conversations.limits import MAX_CLIENT_ID_LENGTH
from conversations.models import ChatSession, Event, Feedback, Run


class SessionSerializer(serializers.ModelSerializer):
    """A session as listed: with its event count, last activity and active run."""

    event_count = serializers.IntegerField(source="last_seq", read_only=True)
    active_run = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "agent",
            "title",
            "created_at",
            "last_activity",
            "event_count",
            "active_run",
        ]
        read_only_fields = ["id", "agent", "created_at", "last_activity"]


class SessionCreateSerializer(serializers.ModelSerializer):
    agent = serializers.CharField(max_length=64)

    class Meta:
        model = ChatSession
        fields = ["agent", "title"]

    def validate_agent(self, value: str) -> str:
        if value not in agent_names():
            raise serializers.ValidationError(f"Unknown agent {value!r}.")
        return value


class SessionUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatSession
        fields = ["title"]


class EventSerializer(serializers.Serializer):
    """The event envelope, exactly as WebSocket and SSE deliver it."""

    session = serializers.UUIDField()
    seq = serializers.IntegerField()
    run = serializers.UUIDField(allow_null=True)
    type = serializers.CharField()
    data = serializers.DictField()
    ts = serializers.CharField()

    def to_representation(self, instance: Event) -> dict:
        return instance.envelope()


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.URLField(allow_null=True)


class MessageSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False)
    client_id = serializers.CharField(
        required=False, allow_null=True, max_length=MAX_CLIENT_ID_LENGTH
    )

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class AcceptedSerializer(serializers.Serializer):
    run = serializers.UUIDField()
    seq = serializers.IntegerField()


class RunSerializer(serializers.ModelSerializer):
    duration_ms = serializers.FloatField(read_only=True, allow_null=True)
    usage = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id",
            "session",
            "status",
            "started_at",
            "finished_at",
            "duration_ms",
            "error",
            "usage",
            "first_seq",
            "last_seq",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "input_tokens": {"type": "integer"},
                "output_tokens": {"type": "integer"},
            },
        }
    )
    def get_usage(self, run: Run) -> dict[str, int]:
        return run.usage


class FeedbackSerializer(serializers.ModelSerializer):
    rating = serializers.ChoiceField(choices=[1, -1])

    class Meta:
        model = Feedback
        fields = ["rating", "comment", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class AgentSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    tools = serializers.ListField(child=serializers.CharField())
    capabilities = serializers.ListField(child=serializers.CharField())
    policy = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.JSONField()
