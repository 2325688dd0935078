"""The REST API's authentication, for views that are not DRF views (the SSE
streams, AG-UI): the same authenticators in the same order, so a token, a
cookie and its CSRF check mean the same thing on every endpoint."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.request import Request
from rest_framework.settings import api_settings


class Refused(Exception):
    """The caller is not let in; `status` and `detail` make the JSON answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def authenticated_user(request: HttpRequest):
    """The caller by `Authorization: Token` or session cookie (with DRF's CSRF
    check for unsafe methods); raises `Refused` otherwise. Blocking: call it
    through `database_sync_to_async` from async views."""
    drf_request = Request(
        request,
        authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES],
    )
    try:
        user = drf_request.user
        if not user.is_authenticated:
            raise NotAuthenticated()
    except APIException as exc:
        raise Refused(exc.status_code, str(exc.detail)) from None
    return user
