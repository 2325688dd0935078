"""Shapes of the REST API: input and output serializers, no workflow."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.base import POLICIES
from agents.events import PERSISTED_TYPES
from conversations.agent_factory import agent_names
from conversations.inputs import MAX_CLIENT_ID_LENGTH, MAX_SEQ, storable_problem
from conversations.models import ChatSession, Event, Feedback, Run


def storable(value: str) -> None:
    """Refuse text the databases cannot store (NUL, unpaired surrogates)."""
    if storable_problem(value, "value"):
        raise serializers.ValidationError(
            "Contains NUL or an unpaired surrogate, which cannot be stored."
        )


class SessionSerializer(serializers.ModelSerializer):
    """A session as listed: with its event count, last activity and active run,
    and for a fork the session and seq it was forked from."""

    event_count = serializers.IntegerField(source="last_seq", read_only=True)
    active_run = serializers.UUIDField(read_only=True, allow_null=True)
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)
    forked_at = serializers.IntegerField(read_only=True, allow_null=True)

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
            "parent",
            "forked_at",
        ]
        read_only_fields = ["id", "agent", "created_at", "last_activity"]


class SessionCreateSerializer(serializers.ModelSerializer):
    """A new session: which agent, and optionally a title (else the first message's)."""

    agent = serializers.CharField(max_length=64)

    class Meta:
        model = ChatSession
        fields = ["agent", "title"]
        extra_kwargs = {"title": {"validators": [storable]}}

    def validate_agent(self, value: str) -> str:
        if value not in agent_names():
            raise serializers.ValidationError(f"Unknown agent {value!r}.")
        return value


class SessionUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatSession
        fields = ["title"]
        extra_kwargs = {"title": {"validators": [storable]}}


class EventSerializer(serializers.Serializer):
    """The event envelope, exactly as WebSocket and SSE deliver it."""

    session = serializers.UUIDField()
    seq = serializers.IntegerField(min_value=1)
    run = serializers.UUIDField(allow_null=True)
    type = serializers.ChoiceField(choices=sorted(PERSISTED_TYPES))
    data = serializers.DictField()
    ts = serializers.DateTimeField()

    def to_representation(self, instance: Event) -> dict:
        return instance.envelope()


class EventPageQuerySerializer(serializers.Serializer):
    """The transcript page asked for: events with seq > `after`, at most `limit`."""

    after = serializers.IntegerField(min_value=0, max_value=2**62, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=500, default=100)


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="the following page; null when caught up"
    )


class MessageSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False, validators=[storable])
    client_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=MAX_CLIENT_ID_LENGTH,
        validators=[storable],
    )
    steer = serializers.BooleanField(
        required=False,
        default=False,
        help_text="hand the message to the working run at its next step",
    )

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value


class ForkSerializer(serializers.Serializer):
    at = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEQ,
        help_text="0, or the seq of a run_finished after which no run is open",
    )
    title = serializers.CharField(
        required=False, max_length=200, allow_blank=True, validators=[storable]
    )


class EditSerializer(MessageSerializer):
    steer = None  # an edit starts its own run
    seq = serializers.IntegerField(
        min_value=1, max_value=MAX_SEQ, help_text="the user_message to replace"
    )


class RegenerateSerializer(serializers.Serializer):
    run = serializers.UUIDField(
        required=False, help_text="the run to answer again; default the last"
    )


class RetriedSerializer(serializers.Serializer):
    session = serializers.UUIDField(help_text="the fork holding the new version")
    run = serializers.UUIDField()
    seq = serializers.IntegerField(help_text="seq of the stored user_message")


class VersionSerializer(serializers.ModelSerializer):
    event_count = serializers.IntegerField(source="last_seq", read_only=True)
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "title",
            "parent",
            "forked_at",
            "created_at",
            "last_activity",
            "event_count",
        ]


class VersionsSerializer(serializers.Serializer):
    original = serializers.UUIDField(
        help_text="the family's first session (it may have been deleted)"
    )
    sessions = VersionSerializer(many=True, help_text="oldest first")


class AcceptedSerializer(serializers.Serializer):
    run = serializers.UUIDField()
    seq = serializers.IntegerField(help_text="seq of the stored user_message")


class CancelledSerializer(serializers.Serializer):
    run = serializers.UUIDField(help_text="the run asked to stop")


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
            "cancelled_by",
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
        extra_kwargs = {"comment": {"validators": [storable]}}


class RatedAnswerSerializer(FeedbackSerializer):
    """Feedback with the seq of the answer it rates, for a session's listing."""

    seq = serializers.IntegerField(source="event.seq", read_only=True)

    class Meta(FeedbackSerializer.Meta):
        fields = ["seq", *FeedbackSerializer.Meta.fields]


class RatedAnswersSerializer(serializers.Serializer):
    results = RatedAnswerSerializer(many=True)


class McpServerSerializer(serializers.Serializer):
    name = serializers.CharField()
    transport = serializers.ChoiceField(choices=["stdio", "http"])
    tools = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="the allow-list, as the server names its tools; null: every tool",
    )


class AgentSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    tools = serializers.ListField(
        child=serializers.CharField(),
        help_text="its own tools, then its allow-listed MCP tools (mcp_<server>__<tool>)",
    )
    capabilities = serializers.ListField(child=serializers.CharField())
    policy = serializers.ChoiceField(choices=POLICIES)
    steering = serializers.BooleanField(
        help_text="takes messages sent with `steer` into a working run"
    )
    examples = serializers.ListField(
        child=serializers.CharField(),
        help_text="starter prompts an empty chat offers (at most 6)",
    )
    mcp = McpServerSerializer(
        many=True, help_text="the MCP servers whose tools it offers too"
    )


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "md"], default="json")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="send as `Authorization: Token <token>`")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        required=False, help_text="field errors of a 400: field name to messages"
    )
