"""REST for versions of a conversation: fork a session at a run boundary, edit
a message or regenerate an answer (each a fork with the message sent again),
and list a chat's versions. Mixed into the session endpoints, so the same
ownership scoping (another user's session is a 404) applies."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from conversations.api.errors import engine_refusals, error_responses, refuse_oversized
from conversations.api.serializers import (
    EditSerializer,
    ForkSerializer,
    RegenerateSerializer,
    RetriedSerializer,
    SessionSerializer,
    VersionsSerializer,
)
from conversations.api.throttling import MessageRateThrottle
from conversations.engine import forks, service
from conversations.models import ChatSession

REFUSALS = (400, 401, 404, 409, 415, 429)


class ForkActions:
    """`fork/`, `edit/`, `regenerate/` and `versions/` of a session viewset,
    which provides `get_object` and `session_data`."""

    @extend_schema(
        request=ForkSerializer,
        responses={201: SessionSerializer, **error_responses(*REFUSALS)},
    )
    @action(detail=True, methods=["post"], throttle_classes=[MessageRateThrottle])
    def fork(self, request: Request, pk: str) -> Response:
        """A new session with this one's events up to `at` and its session
        state as of then; this session is not changed."""
        session = self.get_object()
        serializer = ForkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with engine_refusals():
            made = async_to_sync(service.fork)(
                session.pk, data["at"], data.get("title")
            )
        return Response(self.session_data(made), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EditSerializer,
        responses={202: RetriedSerializer, **error_responses(*REFUSALS, 413)},
    )
    @action(detail=True, methods=["post"], throttle_classes=[MessageRateThrottle])
    def edit(self, request: Request, pk: str) -> Response:
        """Send a changed message in place of `seq`'s, in a fork made just
        before the run that message started."""
        session = self.get_object()
        serializer = EditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        text = refuse_oversized(data["text"])
        with engine_refusals():
            retry = forks.edit_point(session.pk, data["seq"], text)
            return self._retry(session, retry, data.get("client_id"))

    @extend_schema(
        request=RegenerateSerializer,
        responses={202: RetriedSerializer, **error_responses(*REFUSALS, 413)},
    )
    @action(detail=True, methods=["post"], throttle_classes=[MessageRateThrottle])
    def regenerate(self, request: Request, pk: str) -> Response:
        """Answer a run's message again (by default the last run's), in a fork
        made just before that run."""
        session = self.get_object()
        serializer = RegenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with engine_refusals():
            retry = forks.regenerate_point(
                session.pk, serializer.validated_data.get("run")
            )
            return self._retry(session, retry, None)

    def _retry(
        self, session: ChatSession, retry: forks.Retry, client_id: str | None
    ) -> Response:
        fork_id, admission = async_to_sync(service.retry_in_fork)(
            session.pk, retry, client_id
        )
        body = {"session": fork_id, "run": admission.run_id, "seq": admission.seq}
        return Response(RetriedSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: VersionsSerializer, **error_responses(401, 404)})
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str) -> Response:
        """Every session of this one's family (its original and all forks of
        it the user still has), for moving between the versions of a turn."""
        session = self.get_object()
        family = forks.family_of(session)
        return Response(
            VersionsSerializer(
                {"original": session.family_root, "sessions": family}
            ).data
        )
