"""REST endpoints: agents, sessions and their transcripts, messages, runs, feedback.

Every queryset is scoped to the requesting user, so another user's session is a
404 (never a 403 that would confirm it exists). Messages and cancels go through
the same run engine as the WebSocket; the view hands the coroutine to the
server's event loop (`async_to_sync` from a request thread runs it there), so the
run outlives the request.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from conversations.agent_factory import agent_catalogue
from conversations.api.filters import SessionFilter
from conversations.api.pagination import SessionCursorPagination
from conversations.api.serializers import (
    AcceptedSerializer,
    AgentSerializer,
    ErrorSerializer,
    EventPageSerializer,
    FeedbackSerializer,
    MessageSerializer,
    RunSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
)
from conversations.engine.service import cancel_active_run, submit_message
from conversations.engine.storage import RunInProgress, SessionGone
from conversations.export import transcript_json, transcript_markdown
from conversations.limits import MAX_TEXT_LENGTH
from conversations.models import ChatSession, Event, Feedback, Run

UUID_PATTERN = "[0-9a-fA-F-]{36}"
EVENTS_PAGE_MAX = 500


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


def query_int(
    request: Request, name: str, default: int, minimum: int, maximum: int
) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise ValidationError(
            {name: [f"Must be an integer from {minimum} to {maximum}."]}
        )
    return int(raw)


class AgentViewSet(viewsets.ViewSet):
    """The agents this server can run."""

    @extend_schema(responses=AgentSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(AgentSerializer(agent_catalogue(), many=True).data)


@extend_schema(responses={**error_responses(401, 404)})
class SessionViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The requesting user's chat sessions."""

    serializer_class = SessionSerializer
    pagination_class = SessionCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = SessionFilter
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "put", "delete"]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ChatSession.objects.none()
        active = Run.objects.filter(session=OuterRef("pk"), status=Run.Status.RUNNING)
        return ChatSession.objects.owned_by(self.request.user).annotate(
            active_run=Subquery(active.values("id")[:1])
        )

    def get_serializer_class(self):
        match self.action:
            case "create":
                return SessionCreateSerializer
            case "partial_update" | "update":
                return SessionUpdateSerializer
        return SessionSerializer

    def get_throttles(self):
        if self.action == "messages":
            self.throttle_scope = "messages"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        request=SessionCreateSerializer,
        responses={201: SessionSerializer, **error_responses(400, 401)},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = serializer.save(owner=request.user)
        created = self.get_queryset().get(pk=session.pk)
        return Response(SessionSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SessionUpdateSerializer,
        responses={200: SessionSerializer, **error_responses(400, 401, 404)},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        session = self.get_object()
        serializer = SessionUpdateSerializer(session, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(SessionSerializer(self.get_object()).data)

    @extend_schema(exclude=True)
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after", int, description="return events with seq > after"
            ),
            OpenApiParameter(
                "limit", int, description=f"at most this many (1-{EVENTS_PAGE_MAX})"
            ),
        ],
        responses={200: EventPageSerializer, **error_responses(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """A page of the transcript in seq order, after a seq cursor."""
        session = self.get_object()
        after = query_int(request, "after", 0, 0, 2**62)
        limit = query_int(request, "limit", 100, 1, EVENTS_PAGE_MAX)
        rows = list(Event.objects.for_session(session.id).after(after)[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        next_url = None
        if more:
            next_url = request.build_absolute_uri(
                f"{request.path}?after={rows[-1].seq}&limit={limit}"
            )
        return Response({"results": [row.envelope() for row in rows], "next": next_url})

    @extend_schema(
        request=MessageSerializer,
        responses={
            202: AcceptedSerializer,
            **error_responses(400, 401, 404, 409, 413, 429),
        },
    )
    @action(detail=True, methods=["post"])
    def messages(self, request: Request, pk: str | None = None) -> Response:
        """Send a message: the run starts (or queues) and streams to every watcher."""
        session = self.get_object()
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = serializer.validated_data["text"]
        if len(text) > MAX_TEXT_LENGTH:
            return Response(
                {"detail": f"'text' is longer than {MAX_TEXT_LENGTH} characters."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            admission = async_to_sync(submit_message)(
                session.id,
                session.agent,
                text,
                serializer.validated_data.get("client_id"),
            )
        except RunInProgress:
            return Response(
                {"detail": "A run is already active in this session."},
                status=status.HTTP_409_CONFLICT,
            )
        except SessionGone:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(
            {"run": str(admission.run_id), "seq": admission.seq},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        request=None,
        responses={202: AcceptedSerializer, **error_responses(401, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel the active run; it ends `cancelled`, keeping any partial answer."""
        session = self.get_object()
        run_id = async_to_sync(cancel_active_run)(session.id)
        if run_id is None:
            return Response(
                {"detail": "No run is active."}, status=status.HTTP_409_CONFLICT
            )
        return Response({"run": str(run_id)}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "md"])],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/markdown"): OpenApiTypes.STR,
            **error_responses(400, 401, 404),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The whole transcript as a download, JSON or Markdown."""
        session = self.get_object()
        kind = request.query_params.get("format", "json")
        if kind not in {"json", "md"}:
            raise ValidationError({"format": ["Must be 'json' or 'md'."]})
        envelopes = (
            e.envelope() for e in Event.objects.for_session(session.id).order_by("seq")
        )
        if kind == "json":
            body, content_type = transcript_json(session, envelopes), "application/json"
        else:
            body, content_type = (
                transcript_markdown(session, envelopes),
                "text/markdown",
            )
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="session-{session.id}.{kind}"'
        )
        return response

    @extend_schema(
        request=FeedbackSerializer,
        responses={
            200: FeedbackSerializer,
            204: None,
            **error_responses(400, 401, 404),
        },
    )
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path=r"events/(?P<seq>[0-9]+)/feedback",
        url_name="feedback",
    )
    def feedback(
        self, request: Request, pk: str | None = None, seq: str = ""
    ) -> Response:
        """The owner's thumbs up or down on an answer; DELETE takes it back."""
        session = self.get_object()
        event = get_object_or_404(Event, session=session, seq=int(seq))
        if event.type != "final":
            raise ValidationError({"seq": ["Feedback is for answers (final events)."]})
        if request.method == "DELETE":
            Feedback.objects.filter(event=event).delete()
            return Response(status=status.HTTP_204_NO_CONTENT)
        existing = Feedback.objects.filter(event=event).first()
        serializer = FeedbackSerializer(existing, data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save(event=event, updated_at=timezone.now())
        return Response(serializer.data)


@extend_schema(responses={200: RunSerializer, **error_responses(401, 404)})
class RunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A run's status, timings, error and event range."""

    serializer_class = RunSerializer
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Run.objects.none()
        return Run.objects.filter(session__owner=self.request.user)
