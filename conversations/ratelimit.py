"""Rate limits, counted per user: one mechanism for every limit, and one message
limit for every way a message comes in.

A limit kept per socket or per endpoint is a limit per attempt at bypassing it:
four sockets were four budgets, reconnecting reset one, and `POST /chat` had
none. Here every way in (WebSocket, `POST /chat`, REST) takes its slot from the
same per-user counter. The counters live in Redis when instances share the
load (`REDIS_URL`), so every instance counts the same messages, and in process
memory otherwise. They are counted directly, not through Django's cache, whose
async methods hop to one shared thread for every call: with 500 users writing
at once that queue alone stretched delivery's p99 from 25 ms to over a second.
A limit that cannot be counted (Redis down) lets the message through: the limit
protects the service, and must not take it down.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
import weakref
from dataclasses import dataclass
from functools import cache
from typing import Any

import redis
import redis.asyncio
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600}
KEY_PREFIX = "agentsite:rate:"


class LocalCounters:
    """Fixed-window counters in this process's memory (one instance, no Redis).
    No I/O, so the async twins need no thread."""

    MAX_KEYS = 100_000  # past this, expired windows are dropped

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, ttl: int) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + ttl
            self._counts[key] = (count + 1, expires)
            if len(self._counts) > self.MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            return count + 1

    async def aincr(self, key: str, ttl: int) -> int:
        return self.incr(key, ttl)

    def peek(self, key: str) -> int:
        count, expires = self._counts.get(key, (0, 0.0))
        return count if expires > time.monotonic() else 0

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisCounters:
    """Fixed-window counters in Redis, shared by every instance: one round trip
    a hit (`SET NX EX` and `INCR` pipelined)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = redis.Redis.from_url(url)
        # redis.asyncio connections belong to the event loop that opened them.
        self._async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def incr(self, key: str, ttl: int) -> int:
        pipe = self._client.pipeline(transaction=False)
        pipe.set(key, 0, ex=ttl, nx=True).incr(key)
        return pipe.execute()[1]

    async def aincr(self, key: str, ttl: int) -> int:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = self._async_clients[loop] = redis.asyncio.Redis.from_url(self.url)
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=ttl, nx=True).incr(key)
        return (await pipe.execute())[1]

    def peek(self, key: str) -> int:
        return int(self._client.get(key) or 0)

    def clear(self) -> None:
        for key in self._client.scan_iter(f"{KEY_PREFIX}*"):
            self._client.delete(key)


@cache
def counters_at(redis_url: str) -> LocalCounters | RedisCounters:
    return RedisCounters(redis_url) if redis_url else LocalCounters()


def counters() -> LocalCounters | RedisCounters:
    """This process's rate-limit counters (Redis when `REDIS_URL` is set)."""
    return counters_at(settings.REDIS_URL)


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
        cache_key = f"{KEY_PREFIX}{self.name}:{key}:{window}"
        return cache_key, (window + 1) * self.period - now

    def _verdict(self, count: int, remaining: float) -> float | None:
        return None if count <= self.count else remaining

    def hit(self, key: Any) -> float | None:
        """Count one hit; None when it is within the limit, else the seconds
        until the window turns (a `Retry-After`)."""
        cache_key, remaining = self._window(key)
        try:
            count = counters().incr(cache_key, self.period + 1)
        except redis.RedisError:
            logger.warning("rate limit %s not counted: Redis failed", self.name)
            return None
        return self._verdict(count, remaining)

    async def ahit(self, key: Any) -> float | None:
        cache_key, remaining = self._window(key)
        try:
            count = await counters().aincr(cache_key, self.period + 1)
        except redis.RedisError:
            logger.warning("rate limit %s not counted: Redis failed", self.name)
            return None
        return self._verdict(count, remaining)

    def exceeded(self, key: Any) -> float | None:
        """Whether the key is over the limit now, without counting a hit."""
        cache_key, remaining = self._window(key)
        try:
            count = counters().peek(cache_key)
        except redis.RedisError:
            return None
        return remaining if count >= self.count else None


def message_limit() -> Limit:
    """Messages one user may send per period, through every way in together."""
    return Limit.parse("messages", settings.MESSAGE_RATE)


def sign_in_limit() -> Limit:
    """Failed sign-ins per period, counted per username and per client address."""
    return Limit.parse("sign-in", settings.SIGN_IN_FAILURE_RATE)


def retry_after(wait: float) -> str:
    """A `Retry-After` header value: whole seconds, at least one."""
    return str(max(1, math.ceil(wait)))


def rate_limited_message(wait: float) -> str:
    limit = message_limit()
    return (
        f"at most {limit.count} messages per {limit.period} s; "
        f"try again in {retry_after(wait)} s"
    )
