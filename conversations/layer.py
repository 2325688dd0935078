"""Group names and message shapes on the channel layer: the only module that knows them.

The layer carries news between processes, never truth: a receiver that misses a
message (channels-redis drops past capacity) notices the gap in `seq` and reads the
database. Events are published in batches, one layer message per stored batch, so
a fast run costs one layer round trip per batch rather than one per event.

Each event is encoded to JSON once, here, and travels as a `wire frame`: its seq,
run and type (what receivers route on) beside the ready-to-send text, so a session
watched by a hundred sockets is not encoded a hundred times.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

EVENTS = "session.events"
CANCEL = "run.cancel"
SESSION_DELETED = "session.deleted"
CREDENTIALS_REVOKED = "user.credentials_revoked"
VERSIONS = "user.versions"
# Every process's control channel is in this group; cancels are rare, so each is
# told to all, and only the process driving the run acts on it.
CONTROL_GROUP = "runs.control"


def session_group(session_id: Any) -> str:
    """Every socket and stream watching a session joins this group."""
    return f"session.{session_id}"


def wire_frame(frame: dict) -> dict:
    """An envelope (or a live-only delta, without seq) with its JSON text."""
    return {
        "seq": frame.get("seq"),
        "run": frame.get("run"),
        "type": frame["type"],
        "json": json.dumps(frame, separators=(",", ":")),
    }


class PublishedFrames(tuple):
    """A published batch of wire frames, shared read-only by every receiver.

    The in-memory layer deep-copies each message for each receiver, to mimic a
    network layer; for a batch of a thousand frames that was a tenth of the event
    loop with a single watcher, and grows with every watcher. Nothing changes a
    frame after publishing, so every receiver gets this same tuple (Redis layers
    serialise it like any other tuple).
    """

    def __deepcopy__(self, memo: dict) -> PublishedFrames:
        return self


def events_message(frames: list[dict]) -> dict:
    """Stored envelopes (with seq) and live-only deltas, in the order they happened."""
    return {"type": EVENTS, "frames": PublishedFrames(map(wire_frame, frames))}


async def publish_frames(session_id: Any, frames: list[dict]) -> None:
    """Send envelopes and deltas to every watcher of the session, as wire frames.

    A failure (Redis down) is logged, not raised: the events are stored already,
    and watchers converge on the database when news flows again.
    """
    if frames:
        await _send_quietly(session_group(session_id), events_message(frames))


async def publish_cancel(run_id: Any) -> None:
    """Ask whichever process drives `run_id` to cancel it."""
    await get_channel_layer().group_send(
        CONTROL_GROUP, {"type": CANCEL, "run": str(run_id)}
    )


def user_group(user_id: Any) -> str:
    """Every socket of a user joins this group, for news about their account."""
    return f"user.{user_id}"


def is_session_deleted(message: dict) -> bool:
    return message.get("type") == SESSION_DELETED


async def publish_session_deleted(session_id: Any) -> None:
    """Tell every watcher of a deleted session: sockets close with 4404 and
    streams end, instead of waiting for news that will never come."""
    await _send_quietly(session_group(session_id), {"type": SESSION_DELETED})


async def publish_credentials_revoked(user_id: Any, token: str) -> None:
    """Close the user's sockets that were opened with the API token `token`."""
    await _send_quietly(
        user_group(user_id), {"type": CREDENTIALS_REVOKED, "token": token}
    )


async def publish_new_version(user_id: Any, family: Any, session_id: Any) -> None:
    """Tell the user's sockets on any session of `family` that it has a new
    version (a fork), so every tab can offer it without a reload."""
    await _send_quietly(
        user_group(user_id),
        {"type": VERSIONS, "family": str(family), "session": str(session_id)},
    )


async def _send_quietly(group: str, message: dict) -> None:
    try:
        await get_channel_layer().group_send(group, message)
    except Exception:
        logger.warning("telling group %s failed", group, exc_info=True)
