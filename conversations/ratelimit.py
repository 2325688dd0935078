"""Rate limits, counted per user in the shared cache: one mechanism for every
limit, and one message limit for every way a message comes in.

A limit kept per socket or per endpoint is a limit per attempt at bypassing it:
four sockets were four budgets, reconnecting reset one, and `POST /chat` had
none. Here every way in (WebSocket, `POST /chat`, REST, AG-UI) takes its slot
from the same per-user counter. The counter lives in Django's cache: process
memory on one instance, Redis (`REDIS_URL`) when several share the load.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600}


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `period` seconds for one key (fixed windows)."""

    name: str
    count: int
    period: int

    @classmethod
    def parse(cls, name: str, rate: str) -> Limit:
        """A limit from a rate such as `30/min` (DRF's notation)."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*([a-z]+)\s*", rate)
        if match is None or match[2] not in PERIODS:
            raise ImproperlyConfigured(f"{name} rate {rate!r} is not like '30/min'")
        return cls(name, int(match[1]), PERIODS[match[2]])

    def _window(self, key: Any) -> tuple[str, float]:
        now = time.time()
        window = int(now // self.period)
        return f"rate:{self.name}:{key}:{window}", (window + 1) * self.period - now

    def hit(self, key: Any) -> float | None:
        """Count one hit; None when it is within the limit, else the seconds
        until the window turns (a `Retry-After`)."""
        cache_key, remaining = self._window(key)
        try:
            cache.add(cache_key, 0, timeout=self.period + 1)
            count = cache.incr(cache_key)
        except ValueError:  # evicted between the two: this is its first hit
            cache.set(cache_key, 1, timeout=self.period + 1)
            count = 1
        return None if count <= self.count else remaining

    async def ahit(self, key: Any) -> float | None:
        cache_key, remaining = self._window(key)
        try:
            await cache.aadd(cache_key, 0, timeout=self.period + 1)
            count = await cache.aincr(cache_key)
        except ValueError:
            await cache.aset(cache_key, 1, timeout=self.period + 1)
            count = 1
        return None if count <= self.count else remaining

    def exceeded(self, key: Any) -> float | None:
        """Whether the key is over the limit now, without counting a hit."""
        cache_key, remaining = self._window(key)
        return remaining if (cache.get(cache_key) or 0) >= self.count else None


def message_limit() -> Limit:
    """Messages one user may send per period, through every way in together."""
    return Limit.parse("messages", settings.MESSAGE_RATE)


def sign_in_limit() -> Limit:
    """Failed sign-ins per period, counted per username and per client address."""
    return Limit.parse("sign-in", settings.SIGN_IN_FAILURE_RATE)


def rate_limited_message(wait: float) -> str:
    limit = message_limit()
    return (
        f"at most {limit.count} messages per {limit.period} s; "
        f"try again in {retry_after(wait)} s"
    )


def retry_after(wait: float) -> str:
    """A `Retry-After` header value: whole seconds, at least one."""
    return str(max(1, math.ceil(wait)))
