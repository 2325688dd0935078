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
    if not frames:
        return
    try:
        await get_channel_layer().group_send(
            session_group(session_id), events_message(frames)
        )
    except Exception:
        logger.warning("publishing to session %s failed", session_id, exc_info=True)


async def publish_cancel(run_id: Any) -> None:
    """Ask whichever process drives `run_id` to cancel it."""
    await get_channel_layer().group_send(
        CONTROL_GROUP, {"type": CANCEL, "run": str(run_id)}
    )
