"""A health endpoint for load balancers and for tests that wait for a server."""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database answers, 503 otherwise.

    Anyone may ask, so the answer names no host, port or role: the database's
    own error goes to the log.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        logger.warning("health check: the database does not answer", exc_info=True)
        return JsonResponse(
            {"status": "unavailable", "detail": "the database does not answer"},
            status=503,
        )
    return JsonResponse({"status": "ok"})
