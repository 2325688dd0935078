"""Site-wide HTTP guards: an oversized body is a JSON 413, and every page carries
a Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

# Everything the pages load comes from this site; inline styles stay allowed for
# the admin's templates, inline scripts do not.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def too_large() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return JsonResponse(
        {"detail": f"The request body is larger than {limit} bytes."}, status=413
    )


class Guard:
    """A middleware that may answer a request itself (`refuse`) or amend the
    response (`amend`), without a thread hop under ASGI or WSGI."""

    async_capable = True
    sync_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def amend(self, response: HttpResponse) -> HttpResponse:
        return response

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self._acall(request)
        return self.refuse(request) or self.amend(self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        return self.refuse(request) or self.amend(await self.get_response(request))


class BodySizeLimitMiddleware(Guard):
    """Refuse a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` with a JSON 413 before
    any view reads it; Django's own refusal is an HTML 400 (and only where a
    view reads `request.body`)."""

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        digits = length.isascii() and length.isdigit()
        if limit is not None and digits and int(length) > limit:
            return too_large()
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, RequestDataTooBig):
            return too_large()
        return None


class ContentSecurityPolicyMiddleware(Guard):
    """Add the site's Content-Security-Policy to every response that has none."""

    def amend(self, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
