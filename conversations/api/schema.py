"""The OpenAPI schema's view of the endpoints DRF does not serve.

`POST /chat` and the SSE stream are plain async Django views (a response that
streams for minutes cannot be a DRF view), and OpenAPI has no words for a
WebSocket. A drf-spectacular postprocessing hook adds the two HTTP endpoints as
paths and the WebSocket as a section of the description, so `/api/docs/` lists
every way in; `docs/protocol.md` is the full contract.
"""

from __future__ import annotations

from typing import Any

WEBSOCKET = """

## WebSocket: `/ws/sessions/{id}/`

Authenticate with the session cookie or `?token=<api token>`. `?after=<seq>`
replays what was missed, then the socket stays live. Client frames:
`{"type": "message", "text", "client_id"}`, `{"type": "resume", "after"}`,
`{"type": "cancel"}`, `{"type": "resolve", "approval", "decision": "approve" |
"reject", "args", "reason", "remember"}` (a decision on a tool call that waits
for approval). Server frames: `hello` (`session`, `last_seq`), the event
envelopes (`{"session", "seq", "run", "type", "data", "ts"}`), `delta`, `ack`
(`client_id`, `seq`, `run`; or `approval` for a decision) and `rejected`
(`code`: `bad_request`, `run_in_progress`, `approval_pending`, `rate_limited`,
`not_found`, `forbidden`, `already_resolved`). Close codes: 4401 (not signed
in), 4403 (not yours), 4404 (no such session), 1012 (server restart: reconnect
and resume), 1013 (too far behind: reconnect and resume), 1009 (frame too big).
"""

_EVENT_STREAM = {
    "description": (
        "Server-Sent Events: one `id: <seq>`, `event: <type>`, `data: <envelope>` "
        "per event, ending after the run's `run_finished`."
    ),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def _error(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"detail": {"type": "string"}},
                    "required": ["detail"],
                }
            }
        },
    }


# The schemes drf-spectacular names for the API's own authenticators, which
# these views lend (conversations/api/auth.py).
_SECURITY = [{"tokenAuth": []}, {"cookieAuth": []}]

CHAT = {
    "post": {
        "operationId": "chat_stream",
        "summary": "Send a message and stream the run",
        "description": (
            "The article's endpoint: starts a run for `message` in a new session "
            "(of `agent`, else the default agent) or in `session_id`, and streams "
            "its steps. The `X-Session-Id` response header names the session."
        ),
        "tags": ["streaming"],
        "security": _SECURITY,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "message": {"type": "string", "maxLength": 20000},
                            "session_id": {"type": "string", "format": "uuid"},
                            "agent": {"type": "string"},
                        },
                        "required": ["message"],
                    }
                }
            },
        },
        "responses": {
            "200": {
                **_EVENT_STREAM,
                "headers": {
                    "X-Session-Id": {
                        "schema": {"type": "string", "format": "uuid"},
                        "description": "The session to continue.",
                    }
                },
            },
            "400": _error("Bad JSON, message or agent."),
            "401": _error("Not signed in."),
            "404": _error("No such session of yours."),
            "409": _error("A run is already active and the agent's policy is reject."),
            "429": _error("Too many messages; Retry-After says when to try again."),
        },
    }
}

STREAM = {
    "get": {
        "operationId": "sessions_stream",
        "summary": "Follow a session's events",
        "description": (
            "Replays the events after `after` (or the `Last-Event-ID` header), then "
            "streams new ones live; reconnecting with the last id loses nothing."
        ),
        "tags": ["streaming"],
        "security": _SECURITY,
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            },
            {
                "name": "after",
                "in": "query",
                "schema": {"type": "integer", "minimum": 0},
                "description": "The last seq the client has.",
            },
            {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}},
        ],
        "responses": {
            "200": _EVENT_STREAM,
            "400": _error("A bad cursor."),
            "401": _error("Not signed in."),
            "404": _error("No such session of yours."),
        },
    }
}


def add_streaming_endpoints(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the SSE paths and the WebSocket."""
    result["paths"]["/chat"] = CHAT
    result["paths"]["/api/sessions/{id}/stream/"] = STREAM
    result["info"]["description"] = result["info"].get("description", "") + WEBSOCKET
    return result
