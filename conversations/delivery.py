"""One watcher's view of a session: stored events in seq order, each once.

The WebSocket consumer and the SSE stream both feed what the channel layer brings
through a `SeqCursor`. The layer may drop or (after a resume) repeat news; the
cursor drops what was already sent and refills any gap from the database, so the
watcher sees exactly the stored transcript, in order, plus live deltas.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from channels.layers import get_channel_layer

from conversations.engine.threads import in_db_thread
from conversations.layer import is_session_deleted, session_group, wire_frame
from conversations.models import ChatSession, Event

PAGE = 500
# Seconds of quiet after news before a watcher checks for a lost tail.
TAIL_CHECK_DELAY = 1.0


def stored_after(
    session_id: Any, after: int, up_to: int | None, limit: int
) -> list[dict]:
    """Wire frames of stored events with `after < seq <= up_to`, oldest first."""
    events = Event.objects.for_session(session_id).after(after)
    if up_to is not None:
        events = events.up_to(up_to)
    return [wire_frame(event.envelope()) for event in events[:limit]]


def last_seq(session_id: Any) -> int:
    """The session's newest seq; 0 once it is deleted, so watchers have nothing to
    wait for."""
    seqs = ChatSession.objects.filter(pk=session_id).values_list("last_seq", flat=True)
    return seqs.first() or 0


def session_exists(session_id: Any) -> bool:
    return ChatSession.objects.filter(pk=session_id).exists()


class SeqCursor:
    """Tracks the last seq sent to one watcher and decides what to send next."""

    def __init__(self, session_id: Any, sent: int) -> None:
        self.session_id = session_id
        self.sent = sent
        self.due = 0  # the session's last seq at the previous tail check

    async def replay(self, after: int) -> AsyncIterator[list[dict]]:
        """Every stored event after `after`, up to now, a page at a time: the
        caller sends each page before the next is read, so a reader that does not
        keep up holds one page of memory, not the whole session."""
        self.sent = after
        async for page in self._refill(None):
            yield page

    async def catch_up(self) -> list[dict]:
        """Stored events the layer had a whole quiet spell to bring and did not:
        the tail it may have lost.

        A gap is noticed when a later event arrives; a lost *last* message has no
        later event to reveal it, so watchers call this after each quiet spell
        while they are `behind`. A check only notes the session's last seq; the
        next one refills up to the noted seq if the news is still missing. Under
        load a process publishes a batch a while after storing it; reading such
        events at once repeats the news at many times its cost (ten busy runs on
        one SQLite process spent a fifth of their time in those reads).
        """
        frames = []
        if self.behind:
            async for page in self._refill(self.due):
                frames.extend(page)
        self.due = await in_db_thread(last_seq, self.session_id)
        return frames

    @property
    def behind(self) -> bool:
        """The session had events at the last check that were not sent yet."""
        return self.due > self.sent

    async def accept(self, frames: list[dict]) -> AsyncIterator[list[dict]]:
        """Turn frames from the layer into pages of frames to send, gaps refilled."""
        out: list[dict] = []
        for frame in frames:
            seq = frame.get("seq")
            if seq is None:  # a live-only delta
                out.append(frame)
            elif seq <= self.sent:
                continue  # already sent (replayed, or a repeated batch)
            elif seq == self.sent + 1:
                out.append(frame)
                self.sent = seq
            else:
                if out:
                    yield out
                    out = []
                async for page in self._refill(seq):
                    yield page
        if out:
            yield out

    async def _refill(self, up_to: int | None) -> AsyncIterator[list[dict]]:
        while True:
            page = await in_db_thread(
                stored_after, self.session_id, self.sent, up_to, PAGE
            )
            if page:
                self.sent = page[-1]["seq"]
                yield page
            if len(page) < PAGE:
                return


async def follow(
    session_id: Any, after: int, run_id: Any = None, *, idle_after: float = 15.0
) -> AsyncIterator[dict | None]:
    """Stored events after `after`, then live ones, for a watcher that is not a
    consumer (SSE, the `chat` command). With `run_id`, only that run's frames,
    ending after its `run_finished`. Yields `None` after `idle_after` seconds of
    quiet, so a stream can send a keep-alive. Ends when the session is deleted.
    """
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = session_group(session_id)
    await layer.group_add(group, channel)
    cursor = SeqCursor(session_id, after)
    run = None if run_id is None else str(run_id)
    try:
        pages = cursor.replay(after)
        news_seen = False  # news arrived since the last tail check
        while True:
            async for page in pages:
                for frame in page:
                    if run is not None and frame.get("run") != run:
                        continue
                    yield frame
                    if run is not None and frame["type"] == "run_finished":
                        return
            try:
                async with asyncio.timeout(
                    TAIL_CHECK_DELAY if news_seen else idle_after
                ):
                    message = await layer.receive(channel)
            except TimeoutError:
                if not news_seen:
                    # Quiet: a keep-alive, unless the session is gone (its news
                    # may have been lost, or have come before this watcher).
                    if not await in_db_thread(session_exists, session_id):
                        return
                    yield None
                    pages = one_page([])
                    continue
                pages = one_page(await cursor.catch_up())
                news_seen = cursor.behind
                continue
            if is_session_deleted(message):
                return
            pages, news_seen = cursor.accept(message.get("frames", [])), True
    finally:
        await asyncio.shield(layer.group_discard(group, channel))


async def one_page(frames: list[dict]) -> AsyncIterator[list[dict]]:
    yield frames
