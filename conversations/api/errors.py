"""One error shape for every endpoint: `{"detail": "..."}` (PROTOCOL.md section 4).

DRF already answers most errors that way; validation errors are the exception (a
bare `{field: [messages]}`), so they get a readable `detail` and keep the field
errors beside it under `errors`, where a form can still find them.
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "too_large"


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
    return response
