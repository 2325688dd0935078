"""One error shape for every endpoint: `{"detail": "..."}` (PROTOCOL.md section 4).

DRF already answers most errors that way; validation errors are the exception (a
bare `{field: [messages]}`), so they get a readable `detail` and keep the field
errors beside it under `errors`, where a form can still find them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from conversations.api.serializers import ErrorSerializer
from conversations.budgets import OverBudget
from conversations.engine.admission import (
    ApprovalPending,
    RunInProgress,
    SteeringRefused,
)
from conversations.engine.forks import ForkRefused
from conversations.engine.storage import SessionGone
from conversations.inputs import MAX_TEXT_LENGTH

ERRORS = {
    400: "Bad input: `detail` says what, `errors` lists it by field.",
    401: "No valid token or signed-in session.",
    403: "CSRF check failed (signed-in session without the CSRF token).",
    404: "No such session, event or run, or it is not yours.",
    409: "Conflicts with the session's run: one is active, or none is.",
    413: "The message text is too long.",
    415: "The body is not `application/json`.",
    429: "Too many messages, or a budget is used up (`code` `budget_exceeded`):"
    " wait for the time in `Retry-After`.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERRORS[code])
        for code in codes
    }


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "too_large"


class BudgetUsedUp(APIException):
    """429 naming the budget, with `Retry-After` until its period turns."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = OverBudget.code

    def __init__(self, refused: OverBudget) -> None:
        super().__init__(refused.message)
        self.wait = refused.retry_after  # DRF's handler sends it as Retry-After


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflicts with the session's run."
    default_code = "conflict"


def refuse_oversized(text: str) -> str:
    """A message's text, or 413 when it is longer than any way in accepts."""
    if len(text) > MAX_TEXT_LENGTH:
        raise PayloadTooLarge(f"text is longer than {MAX_TEXT_LENGTH} characters.")
    return text


@contextmanager
def engine_refusals() -> Iterator[None]:
    """The run engine's refusals as HTTP errors, the same for every endpoint
    that sends a message or forks: 409 for the session's run, 400 for a wrong
    place to fork, 404 for a session deleted meanwhile."""
    try:
        yield
    except SteeringRefused:
        raise ValidationError(
            {"steer": ["This agent does not take messages into a running turn."]}
        ) from None
    except ApprovalPending:
        raise Conflict("A tool call in this session waits for approval.") from None
    except RunInProgress:
        raise Conflict("A run is already active in this session.") from None
    except ForkRefused as exc:
        if exc.conflict:
            raise Conflict(exc.message) from None
        raise ValidationError(exc.message) from None
    except SessionGone:
        raise Http404 from None
    except OverBudget as refused:
        raise BudgetUsedUp(refused) from None


def _messages(errors: Any, prefix: str = "") -> list[str]:
    """Flatten nested field errors into `field: message` lines."""
    if isinstance(errors, dict):
        return [
            line
            for field, value in errors.items()
            for line in _messages(
                value,
                prefix
                if field == api_settings.NON_FIELD_ERRORS_KEY
                else f"{prefix}{field}: ",
            )
        ]
    if isinstance(errors, list):
        return [line for value in errors for line in _messages(value, prefix)]
    return [f"{prefix}{errors}"]


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        data = response.data
        response.data = {"detail": " ".join(_messages(data))}
        if isinstance(data, dict):
            response.data["errors"] = data
    if response is not None and isinstance(exc, BudgetUsedUp):
        response.data["code"] = exc.default_code
    return response
