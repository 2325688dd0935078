"""Input limits shared by every way in (WebSocket, SSE `POST /chat`, REST)."""

MAX_TEXT_LENGTH = 8_000
MAX_CLIENT_ID_LENGTH = 100
MAX_FRAME_BYTES = 64 * 1024
MESSAGES_PER_MINUTE = 30
