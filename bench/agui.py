"""Scenario 10, AG-UI vs our SSE: the same run streamed over `POST /api/agui/`
(AG-UI events) and over `POST /chat` (our envelopes), side by side.

Both endpoints feed the same `follow` of the same stored events, so what one
costs beyond the other is the translation: a JSON parse of each envelope, the
ag-ui-protocol models and their JSON. The agent, `bench-steps`, streams text,
stores thoughts, tool calls, results and state changes, so every mapping is
exercised. Rounds alternate between the endpoints on one daphne server, so a
slow stretch of the shared machine falls on both alike and the ratio holds.
The client reads raw HTTP/1.1 and parses frames only after the timing, so its
own CPU takes as little as it can from the server's.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from bench.agents import STEPS
from bench.report import Report, Row
from bench.servers import Stack, run_client, server_for
from bench.sizes import Sizes
from bench.stats import spread, summary
from bench.wire import READ_LIMIT

ENDPOINTS = ("sse", "agui")
# Frames that carry text of the run: live deltas, or stored text when a stream
# joined after the deltas were published (a run that starts fast can be ahead).
TEXT = {
    "sse": {"delta", "thought", "final"},
    "agui": {"TEXT_MESSAGE_CONTENT", "REASONING_MESSAGE_CONTENT"},
}
LAST = {"sse": {"run_finished"}, "agui": {"RUN_FINISHED", "RUN_ERROR"}}


def request(endpoint: str, text: str) -> tuple[str, dict]:
    """The path and body that start a run of `bench-steps` on a new thread."""
    if endpoint == "sse":
        return "/chat", {"message": text, "agent": STEPS}
    thread = str(uuid.uuid4())
    message = {"id": "m1", "role": "user", "content": text}
    body = {"threadId": thread, "runId": "r", "messages": [message]}
    return "/api/agui/", {**body, "forwardedProps": {"agent": STEPS}}


async def post_stream(port: int, token: str, path: str, body: dict) -> dict:
    """POST and read the SSE response to its end: the send time, each frame's
    arrival, the session id."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    try:
        async with asyncio.timeout(READ_LIMIT):
            sent = time.perf_counter()
            writer.write(head.encode() + payload)
            status = await reader.readline()
            headers = {}
            while line := (await reader.readline()).strip():
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            if b" 200 " not in status:
                raise RuntimeError(f"{path}: {status!r} {await reader.read()!r}")
            chunked = headers.get("transfer-encoding") == "chunked"
            frames, buffer = [], b""
            while True:
                if chunked:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    chunk = (await reader.readexactly(size + 2))[:-2]
                else:
                    chunk = await reader.read(65536)
                if not chunk:
                    break
                *blocks, buffer = (buffer + chunk).split(b"\n\n")
                now = time.perf_counter()
                frames += [(now, b) for b in blocks if not b.startswith(b":")]
    finally:
        writer.close()
    return {"sent": sent, "frames": frames, "session": headers["x-session-id"]}


def parsed(endpoint: str, run: dict) -> list[tuple[float, str, str | None]]:
    """(ms after sending, type, SSE id) per frame; checks the run's last frame."""
    out = []
    for at, block in run["frames"]:
        fields = dict(line.split(": ", 1) for line in block.decode().splitlines())
        kind = fields.get("event") or json.loads(fields["data"])["type"]
        out.append(((at - run["sent"]) * 1000, kind, fields.get("id")))
    if out[-1][1] not in LAST[endpoint]:
        raise RuntimeError(f"{endpoint} ended with {out[-1][1]}")
    return out


def stored_covered(endpoint: str, frames: list) -> int:
    """How many stored events the stream covered: ids are seqs (AG-UI's opening
    frames carry the cursor, a delta `<seq>.<n>`), ours count one per event."""
    if endpoint == "sse":
        return sum(1 for *_, event_id in frames if event_id is not None)
    seq = [int(i.partition(".")[0]) for *_, i in (frames[0], frames[-1])]
    return seq[1] - seq[0]


def client_compare(params: dict[str, Any]) -> dict[str, Any]:
    """Alternating long runs (throughput), then alternating short runs
    (latency), each on a new session; checks each against what is stored."""
    from bench.fixtures import user_with_token
    from conversations.models import Event

    _, token = user_with_token("agui")
    out: dict[str, Any] = {e: defaultdict(list) for e in ENDPOINTS}
    covered = []

    def one(endpoint: str, text: str) -> list:
        run = asyncio.run(post_stream(params["port"], token, *request(endpoint, text)))
        frames = parsed(endpoint, run)
        stored = Event.objects.filter(session_id=run["session"]).count()
        covered.append(stored_covered(endpoint, frames) == stored)
        return frames

    def alternating(rounds: int) -> Iterator[str]:
        for r in range(rounds):
            yield from ENDPOINTS if r % 2 == 0 else ENDPOINTS[::-1]

    for endpoint in alternating(params["repeats"]):
        frames, mine = one(endpoint, str(params["steps"])), out[endpoint]
        seconds = frames[-1][0] / 1000
        mine["rate"].append(stored_covered(endpoint, frames) / seconds)
        mine["frame_rate"].append(len(frames) / seconds)
        mine["frames"].append(len(frames))
    for endpoint in alternating(params["messages"]):
        frames, mine = one(endpoint, "1"), out[endpoint]
        ms, kind, event_id = next(f for f in frames if f[1] in TEXT[endpoint])
        mine["first"].append(frames[0][0])
        mine["text"].append(ms)
        # A live delta has no id (ours) or a `<seq>.<n>` one (AG-UI).
        mine["live"].append(kind == "delta" or "." in (event_id or ""))
    return {**out, "covered": sum(covered), "runs": len(covered)}


def run(report: Report, stack: Stack, sizes: Sizes) -> None:
    params = {"steps": sizes.agui_steps, "repeats": sizes.agui_repeats}
    with server_for(stack) as server:
        raw = run_client(
            stack,
            "agui.compare",
            {**params, "port": server.port, "messages": sizes.agui_messages},
        )
    agui, sse = raw["agui"], raw["sse"]

    def ratios(key: str) -> list[float]:
        return [a / s for a, s in zip(agui[key], sse[key], strict=True)]

    def p50_p99(key: str) -> str:
        a, s = summary(agui[key]), summary(sse[key])
        return (
            f"{a['p50']:.1f} / {s['p50']:.1f} ({a['p50'] / s['p50']:.2f}x); "
            f"{a['p99']:.1f} / {s['p99']:.1f}"
        )

    def row(what: str, figure: str, target: str = "", met: bool | None = None):
        return Row("10 agui vs sse", f"{stack.name} daphne", what, figure, target, met)

    report.add(
        row(
            f"one run of {sizes.agui_steps:,} steps: stored events/s, AG-UI; ours",
            f"{spread(agui['rate'])}; {spread(sse['rate'])}",
        ),
        row(
            "AG-UI / ours, stored events/s (same round)",
            spread(ratios("rate"), "{:.2f}x"),
        ),
        row(
            "frames per run, AG-UI; ours: frames/s AG-UI / ours (ratio)",
            f"{agui['frames'][0]:,}; {sse['frames'][0]:,}: "
            f"{summary(agui['frame_rate'])['median']:,.0f} / "
            f"{summary(sse['frame_rate'])['median']:,.0f} "
            f"({summary(ratios('frame_rate'))['median']:.2f}x)",
        ),
        row(
            f"request -> first frame, {sizes.agui_messages} short runs each: "
            "p50 AG-UI / ours ms (ratio); p99",
            p50_p99("first"),
        ),
        row(
            "request -> first text frame: p50 ms (ratio); p99; runs whose first "
            "text was a live delta, AG-UI / ours",
            f"{p50_p99('text')}; {sum(agui['live'])}/{sum(sse['live'])} "
            f"of {sizes.agui_messages}",
        ),
        row(
            "streams covering every stored event of their run",
            f"{raw['covered']}/{raw['runs']}",
            "all",
            raw["covered"] == raw["runs"],
        ),
    )
