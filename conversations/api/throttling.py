"""The REST face of the per-user message limit (conversations.ratelimit)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from conversations.ratelimit import message_limit


class MessageRateThrottle(BaseThrottle):
    """Counts a message against the same per-user limit as every other way in."""

    def allow_request(self, request: Request, view) -> bool:
        self.wait_seconds = message_limit().hit(request.user.pk)
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds
