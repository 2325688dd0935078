"""The OpenAPI schema's view of the endpoints DRF does not serve.

`POST /chat`, the SSE stream and the AG-UI endpoints are plain async Django
views (a response that streams for minutes cannot be a DRF view), and OpenAPI
has no words for a WebSocket. A drf-spectacular postprocessing hook adds the
HTTP endpoints as paths and the WebSocket as a section of the description, so
`/api/docs/` lists every way in; `docs/protocol.md` is the full contract.
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


def _json_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A required JSON object body with these properties."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _cursor_parameters(path_name: str) -> list[dict[str, Any]]:
    """A resumable stream's parameters: its session, and the cursor to resume after."""
    return [
        {
            "name": path_name,
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
    ]


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
        "requestBody": _json_body(
            {
                "message": {"type": "string", "maxLength": 20000},
                "session_id": {"type": "string", "format": "uuid"},
                "agent": {"type": "string"},
            },
            required=["message"],
        ),
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
        "parameters": _cursor_parameters("id"),
        "responses": {
            "200": _EVENT_STREAM,
            "400": _error("A bad cursor."),
            "401": _error("Not signed in."),
            "404": _error("No such session of yours."),
        },
    }
}


_AGUI_STREAM = {
    "description": (
        "AG-UI events over Server-Sent Events, one `id: <seq>` (or `<seq>.<n>` "
        "for a delta) and `data: <event>` per frame, opening with RUN_STARTED and "
        "STATE_SNAPSHOT, ending with RUN_FINISHED (outcome success, cancelled or "
        "interrupt) or RUN_ERROR."
    ),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}

AGUI_RUN = {
    "post": {
        "operationId": "agui_run",
        "summary": "Run an agent over AG-UI",
        "description": (
            "Takes an AG-UI `RunAgentInput`: `threadId` is a session id (created "
            "when new), `forwardedProps.agent` the agent, the newest user message "
            "the new message; with `resume`, decides the run's interrupts (its "
            "approvals) instead. See docs/agui.md."
        ),
        "tags": ["streaming"],
        "security": _SECURITY,
        "requestBody": _json_body(
            {
                "threadId": {"type": "string", "format": "uuid"},
                "runId": {"type": "string"},
                "messages": {"type": "array", "items": {"type": "object"}},
                "forwardedProps": {"type": "object"},
                "resume": {"type": "array", "items": {"type": "object"}},
            },
            required=["threadId", "runId", "messages"],
        ),
        "responses": {
            "200": _AGUI_STREAM,
            "400": _error("Not a valid RunAgentInput, with the reason."),
            "401": _error("Not signed in."),
            "403": _error("An interrupt that staff decide."),
            "404": _error("Another user's thread."),
            "409": _error("A run is active, an approval waits, or was decided."),
            "429": _error("Too many messages; Retry-After says when to try again."),
        },
    }
}

AGUI_STREAM = {
    "get": {
        "operationId": "agui_stream",
        "summary": "Continue or join a thread's AG-UI stream",
        "description": (
            "With `Last-Event-ID` (or `after`), continues a cut stream after that "
            "id: RUN_STARTED, MESSAGES_SNAPSHOT and STATE_SNAPSHOT as of it, then "
            "the rest of the run, nothing repeated. Without, joins the active run "
            "from now. 204 when there is no run to follow."
        ),
        "tags": ["streaming"],
        "security": _SECURITY,
        "parameters": _cursor_parameters("threadId"),
        "responses": {
            "200": _AGUI_STREAM,
            "204": {"description": "Nothing to stream: no run after the cursor."},
            "400": _error("A bad cursor, or one past the thread's end."),
            "401": _error("Not signed in."),
            "404": _error("No such thread of yours."),
        },
    }
}


def add_streaming_endpoints(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the SSE paths and the WebSocket."""
    result["paths"]["/chat"] = CHAT
    result["paths"]["/api/sessions/{id}/stream/"] = STREAM
    result["paths"]["/api/agui/"] = AGUI_RUN
    result["paths"]["/api/agui/{threadId}/stream/"] = AGUI_STREAM
    result["info"]["description"] = result["info"].get("description", "") + WEBSOCKET
    return result
