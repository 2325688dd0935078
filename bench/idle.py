"""Scenario 5, idle connections: server memory per open WebSocket.

A fresh server is warmed up (a few sockets opened and closed, so imports and
caches are paid before the baseline), its RSS read, then the client opens N
sockets (offering permessage-deflate, as browsers do) and holds them while RSS is
read again. The same is done against the bare idle endpoint of bench.asgi for the
ASGI server's own share. The client takes orders on stdin, one line each.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bench.report import Report, Row
from bench.servers import Stack, open_client, server_for
from bench.wire import open_session

TARGET_BYTES = 64 * 1024
WARM_UP = 20
CONNECT_AT_ONCE = 100
SETTLE = 2.0  # seconds for the server to finish the handshakes' garbage
STEP_LIMIT = 300.0


def client_hold(params: dict[str, Any]) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    from bench.fixtures import new_sessions, user_with_token

    port, count, bare = params["port"], params["sockets"], params["bare"]
    user, token = user_with_token("idle")
    sessions = new_sessions(user, "math", count + WARM_UP)
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def one(session: str):
        async with gate:
            if bare:
                return await connect(f"ws://127.0.0.1:{port}/bench/bare/?n=0")
            return await open_session(port, session, token)

    def tell(line: str) -> None:
        print(line, flush=True)

    async def load() -> dict[str, Any]:
        warm = await asyncio.gather(*(one(s) for s in sessions[:WARM_UP]))
        await asyncio.gather(*(ws.close() for ws in warm))
        tell("warm")
        await asyncio.to_thread(sys.stdin.readline)
        start = time.perf_counter()
        sockets = await asyncio.gather(*(one(s) for s in sessions[WARM_UP:]))
        opened = time.perf_counter() - start
        extensions = sockets[0].response.headers.get("Sec-WebSocket-Extensions", "")
        tell("ready")
        await asyncio.to_thread(sys.stdin.readline)
        await asyncio.gather(*(ws.close() for ws in sockets))
        return {"open_s": opened, "extensions": extensions, "sockets": len(sockets)}

    return asyncio.run(load())


def measure(stack: Stack, count: int, bare: bool) -> dict[str, Any]:
    """Bytes of server RSS per idle socket, and what was negotiated."""
    with server_for(stack) as server:
        client = open_client(
            stack, "idle.hold", {"port": server.port, "sockets": count, "bare": bare}
        )
        try:
            expect(client, "warm")
            time.sleep(SETTLE)
            before = server.rss_kb()
            client.stdin.write("go\n")
            client.stdin.flush()
            expect(client, "ready")
            time.sleep(SETTLE)
            after = server.rss_kb()
            client.stdin.write("close\n")
            client.stdin.flush()
            result = json.loads(expect(client, "{"))
        finally:
            if client.poll() is None:
                client.kill()
            client.wait()
    result["per_socket"] = (after - before) * 1024 / count
    result["before_mb"] = before / 1024
    return result


def expect(client, prefix: str) -> str:
    """The client's next line, which must start with `prefix`, within a time limit."""
    deadline = time.monotonic() + STEP_LIMIT
    while time.monotonic() < deadline:
        line = client.stdout.readline()
        if not line:
            raise RuntimeError(f"idle client ended before {prefix!r}")
        if line.startswith(prefix):
            return line
    raise RuntimeError(f"idle client did not say {prefix!r} in time")


def run(report: Report, stack: Stack, sockets: int) -> None:
    app = measure(stack, sockets, bare=False)
    bare = measure(stack, sockets, bare=True)
    label = f"{stack.name} daphne"
    report.add(
        Row(
            "5 idle sockets",
            label,
            f"{sockets:,} app sockets: server RSS per socket",
            f"{app['per_socket'] / 1024:.1f} KB (base {app['before_mb']:.0f} MB)",
            f"< {TARGET_BYTES // 1024} KB",
            app["per_socket"] < TARGET_BYTES,
        ),
        Row(
            "5 idle sockets",
            label,
            f"{sockets:,} bare daphne sockets: RSS per socket",
            f"{bare['per_socket'] / 1024:.1f} KB",
        ),
        Row(
            "5 idle sockets",
            label,
            "extension negotiated / sockets opened in",
            f"{app['extensions'] or 'none'} / {app['open_s']:.1f} s",
        ),
    )
