"""REST endpoints: agents, sessions and their transcripts, messages, runs, feedback.

Every queryset is scoped to the requesting user, so another user's session is a
404 (never a 403 that would confirm it exists). Messages and cancels go through
the same run engine as the WebSocket; the view hands the coroutine to the
server's event loop (`async_to_sync` from a request thread runs it there), so the
run outlives the request.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from conversations.agent_factory import agent_catalogue
from conversations.api.errors import engine_refusals, error_responses, refuse_oversized
from conversations.api.filters import SessionFilter
from conversations.api.forks import ForkActions
from conversations.api.pagination import SessionCursorPagination
from conversations.api.serializers import (
    AcceptedSerializer,
    AgentSerializer,
    CancelledSerializer,
    EventPageQuerySerializer,
    EventPageSerializer,
    ExportQuerySerializer,
    FeedbackSerializer,
    MessageSerializer,
    RatedAnswerSerializer,
    RatedAnswersSerializer,
    RunSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SessionUpdateSerializer,
    TokenSerializer,
)
from conversations.api.throttling import MessageRateThrottle
from conversations.engine.service import (
    cancel_active_run,
    delete_session,
    submit_message,
)
from conversations.export import transcript_json, transcript_markdown
from conversations.inputs import BadInput, parse_seq
from conversations.layer import publish_credentials_revoked
from conversations.models import ChatSession, Event, Feedback, Run

SEQ_PARAMETER = OpenApiParameter(
    "seq", int, OpenApiParameter.PATH, description="seq of the `final` event"
)


def query(serializer_class: type[Serializer], request: Request) -> dict:
    """Validated query parameters (a 400 naming the bad one otherwise)."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AgentViewSet(viewsets.ViewSet):
    """The agents this server can run."""

    @extend_schema(responses={200: AgentSerializer(many=True), **error_responses(401)})
    def list(self, request: Request) -> Response:
        return Response(AgentSerializer(agent_catalogue(), many=True).data)


@extend_schema_view(
    list=extend_schema(
        description="Own sessions, newest activity first, cursor-paginated.",
        responses={200: SessionSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        description="One session with its event count, last activity, active run.",
        responses={200: SessionSerializer, **error_responses(401, 404)},
    ),
    destroy=extend_schema(
        description="Delete the session with all its events and runs.",
        responses={204: None, **error_responses(401, 404)},
    ),
)
class SessionViewSet(
    ForkActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The requesting user's chat sessions."""

    serializer_class = SessionSerializer
    pagination_class = SessionCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ChatSession.objects.none()
        active = Run.objects.active().filter(session=OuterRef("pk"))
        return ChatSession.objects.owned_by(self.request.user).annotate(
            active_run=Subquery(active.values("id")[:1])
        )

    def perform_destroy(self, instance: ChatSession) -> None:
        """Delete through the engine: a run streaming in the session stops and
        its watchers are told, instead of the run crashing on a missing row."""
        delete_session(instance.pk)

    def session_data(self, session: ChatSession) -> dict:
        """The session as listed, read back with its annotations."""
        return SessionSerializer(self.get_queryset().get(pk=session.pk)).data

    @extend_schema(
        request=SessionCreateSerializer,
        responses={201: SessionSerializer, **error_responses(400, 401, 415)},
    )
    def create(self, request: Request) -> Response:
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = serializer.save(owner=request.user)
        return Response(self.session_data(session), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SessionUpdateSerializer,
        responses={200: SessionSerializer, **error_responses(400, 401, 404, 415)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Rename the session (the title is the only thing a client may change)."""
        session = self.get_object()
        serializer = SessionUpdateSerializer(session, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(self.session_data(session))

    @extend_schema(
        parameters=[EventPageQuerySerializer],
        responses={200: EventPageSerializer, **error_responses(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        """A page of the transcript in seq order, after a seq cursor.

        The cursor is the seq itself, so pages never shift while a run appends.
        """
        session = self.get_object()
        page = query(EventPageQuerySerializer, request)
        after, limit = page["after"], page["limit"]
        rows = list(Event.objects.for_session(session.id).page(after, limit + 1))
        next_url = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_url = request.build_absolute_uri(
                f"{request.path}?after={rows[-1].seq}&limit={limit}"
            )
        return Response({"results": [row.envelope() for row in rows], "next": next_url})

    @extend_schema(
        request=MessageSerializer,
        responses={
            202: AcceptedSerializer,
            **error_responses(400, 401, 404, 409, 413, 415, 429),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        throttle_classes=[MessageRateThrottle],
    )
    def messages(self, request: Request, pk: str) -> Response:
        """Send a message: the run starts (or queues) and streams to every watcher.

        A repeated `client_id` starts nothing and answers with the original run.
        """
        session = self.get_object()
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = refuse_oversized(serializer.validated_data["text"])
        with engine_refusals():
            admission = async_to_sync(submit_message)(
                session.id,
                session.agent,
                text,
                serializer.validated_data.get("client_id"),
                serializer.validated_data["steer"],
            )
        return Response(
            AcceptedSerializer({"run": admission.run_id, "seq": admission.seq}).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        request=None,
        responses={202: CancelledSerializer, **error_responses(401, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel the active run; it ends `cancelled`, keeping any partial answer."""
        session = self.get_object()
        run_id = async_to_sync(cancel_active_run)(
            session.id, request.user.get_username()
        )
        if run_id is None:
            return Response(
                {"detail": "No run is active."}, status=status.HTTP_409_CONFLICT
            )
        return Response(
            CancelledSerializer({"run": run_id}).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        parameters=[ExportQuerySerializer],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/markdown"): OpenApiTypes.STR,
            **error_responses(400, 401, 404),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> HttpResponse:
        """The whole transcript as a download: JSON for machines, Markdown to read."""
        session = self.get_object()
        kind = query(ExportQuerySerializer, request)["format"]
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

    @extend_schema(responses={200: RatedAnswersSerializer, **error_responses(401, 404)})
    @action(detail=True, methods=["get"], url_path="feedback", url_name="feedback-list")
    def rated_answers(self, request: Request, pk: str) -> Response:
        """Every rating the owner gave in this session, so a page can show them."""
        session = self.get_object()
        ratings = Feedback.objects.filter(event__session=session).select_related(
            "event"
        )
        return Response(
            {
                "results": RatedAnswerSerializer(
                    ratings.order_by("event__seq"), many=True
                ).data
            }
        )

    @extend_schema(
        methods=["PUT"],
        parameters=[SEQ_PARAMETER],
        request=FeedbackSerializer,
        responses={200: FeedbackSerializer, **error_responses(400, 401, 404, 415)},
    )
    @extend_schema(
        methods=["DELETE"],
        parameters=[SEQ_PARAMETER],
        request=None,
        responses={204: None, **error_responses(400, 401, 404)},
    )
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path=r"events/(?P<seq>[^/.]+)/feedback",
        url_name="feedback",
    )
    def feedback(self, request: Request, pk: str, seq: str) -> Response:
        """The owner's thumbs up or down on an answer; DELETE takes it back."""
        session = self.get_object()
        try:
            number = parse_seq(seq, "seq")
        except BadInput:
            raise Http404 from None
        event = get_object_or_404(Event, session=session, seq=number)
        if event.type != "final":
            raise ValidationError({"seq": ["Feedback is for answers (final events)."]})
        if request.method == "DELETE":
            Feedback.objects.filter(event=event).delete()
            return Response(status=status.HTTP_204_NO_CONTENT)
        with transaction.atomic():
            existing = Feedback.objects.select_for_update().filter(event=event).first()
            serializer = FeedbackSerializer(existing, data=request.data)
            serializer.is_valid(raise_exception=True)
            serializer.save(event=event, updated_at=timezone.now())
        return Response(serializer.data)


@extend_schema_view(
    retrieve=extend_schema(responses={200: RunSerializer, **error_responses(401, 404)})
)
class RunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A run's status, timings, error and event range."""

    serializer_class = RunSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Run.objects.none()
        return Run.objects.filter(session__owner=self.request.user)


class TokenView(APIView):
    """The signed-in user's API token, for scripts: GET shows it (creating it the
    first time), POST replaces it, so a leaked token stops working at once."""

    @extend_schema(responses={200: TokenSerializer, **error_responses(401)})
    def get(self, request: Request) -> Response:
        token, _ = Token.objects.get_or_create(user=request.user)
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(
        request=None, responses={201: TokenSerializer, **error_responses(401, 403)}
    )
    def post(self, request: Request) -> Response:
        with transaction.atomic():
            old = list(
                Token.objects.filter(user=request.user).values_list("key", flat=True)
            )
            Token.objects.filter(user=request.user).delete()
            token = Token.objects.create(user=request.user)
        for key in old:
            async_to_sync(publish_credentials_revoked)(request.user.pk, key)
        return Response(
            TokenSerializer({"token": token.key}).data, status=status.HTTP_201_CREATED
        )
