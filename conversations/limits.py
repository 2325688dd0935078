"""Input limits shared by every way in (WebSocket, SSE `POST /chat`, REST)."""

from typing import Any

MAX_TEXT_LENGTH = 8_000
MAX_CLIENT_ID_LENGTH = 100
MAX_FRAME_BYTES = 64 * 1024
MESSAGES_PER_MINUTE = 30


def text_problem(value: Any, field: str) -> str | None:
    """What is wrong with a user message's text, or None when it is acceptable."""
    if not isinstance(value, str) or not value.strip():
        return f"'{field}' must be a non-empty string"
    if len(value) > MAX_TEXT_LENGTH:
        return f"'{field}' is longer than {MAX_TEXT_LENGTH} characters"
    return None
