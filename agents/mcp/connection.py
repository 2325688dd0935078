"""One live connection per MCP server per process, shared by every run.

The official SDK's `Client` is an async context manager whose task group must
be entered and left by one task, so each connection is held open by a task of
its own; runs send their calls through it from theirs. A connection starts on
first use, lists the server's tools once, and is dropped when the server goes
away (a stdio server exits, an HTTP server refuses): the next call starts it
again. A call in flight when that happens fails, and is not sent twice, since
a tool may have acted before its server died.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client._transport import TransportStreams
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, Tool
from mcp_types import CONNECTION_CLOSED

from agents.mcp.config import McpServer, MissingVariable, executable

log = logging.getLogger(__name__)
# A server gets this long to start and list its tools; `timeout` bounds calls.
START_SECONDS = 20.0
# The last lines a server wrote to stderr explain why it would not start.
_STDERR_TAIL = 600


class McpUnavailable(ConnectionError):
    """The server cannot be reached: it did not start, or it went away."""


class McpConnection:
    """The connection to one server: `tools()`, `call()`, `close()`."""

    def __init__(self, server: McpServer) -> None:
        self.server = server
        self.starts = 0  # how many times the server was started, for tests and bench
        self.known: tuple[str, ...] = ()  # the tools it listed last
        self._ready: asyncio.Future[tuple[Client, list[Tool]]] | None = None
        self._stop: asyncio.Event | None = None
        self._holder: asyncio.Task | None = None

    @property
    def connected(self) -> bool:
        """Whether a connection is open or opening (False once the server is gone)."""
        return self._ready is not None

    async def tools(self) -> list[Tool]:
        """The server's tools, as it listed them when the connection opened."""
        return (await self._open())[1]

    async def call(self, name: str, args: dict[str, Any]) -> CallToolResult:
        """Call a tool. `McpUnavailable` when the server cannot be reached or
        goes away during the call; the caller bounds the wait."""
        client, _ = await self._open()
        try:
            return await client.call_tool(name, args)
        except MCPError as exc:
            if exc.code != CONNECTION_CLOSED:
                raise
            self._drop()
            raise McpUnavailable(
                f"MCP server {self.server.name!r} closed the connection during the "
                "call (it starts again on the next call)"
            ) from None

    async def close(self) -> None:
        """Close the connection (a stdio server's process ends with it)."""
        holder = self._holder
        self._drop()
        if holder is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await holder

    async def _open(self) -> tuple[Client, list[Tool]]:
        if self._ready is None:
            self.starts += 1
            self._ready = asyncio.get_running_loop().create_future()
            self._stop = asyncio.Event()
            self._holder = asyncio.create_task(
                self._hold(self._ready, self._stop), name=f"mcp-{self.server.name}"
            )
        ready = self._ready
        try:
            async with asyncio.timeout(START_SECONDS):
                return await asyncio.shield(ready)
        except TimeoutError:
            if self._ready is ready:
                self._drop()
            raise McpUnavailable(
                f"MCP server {self.server.name!r} did not start within "
                f"{START_SECONDS:g} s"
            ) from None
        except McpUnavailable:
            if self._ready is ready:
                self._drop()
            raise

    def _drop(self) -> None:
        """Forget the connection and tell its holder to close it."""
        if self._stop is not None:
            self._stop.set()
        self._ready = self._stop = self._holder = None

    async def _hold(
        self, ready: asyncio.Future[tuple[Client, list[Tool]]], stop: asyncio.Event
    ) -> None:
        """Open the connection, hand it out, and keep it until told to stop
        or the server goes away."""
        lost = asyncio.Event()
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err:
            try:
                transport = _watched(self._transport(err), lost)
                async with Client(transport) as client:
                    tools = await _all_tools(client)
                    self.known = tuple(tool.name for tool in tools)
                    ready.set_result((client, tools))
                    await _first(stop.wait(), lost.wait())
            except Exception as exc:  # every failure to start is reported
                if not ready.done():
                    ready.set_exception(McpUnavailable(self._why(exc, err)))
                else:
                    log.warning("MCP server %r: %s", self.server.name, exc)
            finally:
                if not ready.done():
                    ready.cancel()
        if lost.is_set() and self._ready is ready:
            log.warning("MCP server %r went away", self.server.name)
            self._drop()

    def _transport(self, err: Any) -> contextlib.AbstractAsyncContextManager:
        server = self.server
        try:
            if server.command:
                command = executable(server.command)
                if command is None:
                    raise McpUnavailable(
                        f"MCP server {server.name!r}: command "
                        f"{server.command!r} is not installed"
                    )
                params = StdioServerParameters(
                    command=command,
                    args=list(server.args),
                    env=server.environment() or None,
                    cwd=os.getcwd(),
                )
                return stdio_client(params, errlog=err)
            http = create_mcp_http_client(headers=server.http_headers())
            return _http(server.url, http)
        except MissingVariable as exc:
            raise McpUnavailable(f"MCP server {server.name!r}: {exc}") from None

    def _why(self, exc: BaseException, err: Any) -> str:
        """A start failure as one message: the error, and what the server said."""
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        if isinstance(exc, McpUnavailable):
            return str(exc)
        err.seek(0)
        said = err.read()[-_STDERR_TAIL:].strip()
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return (
            f"MCP server {self.server.name!r} ({self.server.where}) could not start: "
            f"{reason}" + (f"; it said: {said}" if said else "")
        )


@contextlib.asynccontextmanager
async def _http(url: str, http: httpx2.AsyncClient) -> AsyncIterator[TransportStreams]:
    async with http, streamable_http_client(url, http_client=http) as streams:
        yield streams


@contextlib.asynccontextmanager
async def _watched(
    transport: contextlib.AbstractAsyncContextManager, lost: asyncio.Event
) -> AsyncIterator[TransportStreams]:
    """`transport`, with `lost` set when its server stops talking (a stdio
    server's stdout ends): messages pass through a stream of our own."""
    async with transport as (read, write):
        send, receive = anyio.create_memory_object_stream(64)
        async with anyio.create_task_group() as group:

            async def forward() -> None:
                async with send:
                    async for message in read:
                        await send.send(message)
                lost.set()

            group.start_soon(forward)
            try:
                yield receive, write
            finally:
                group.cancel_scope.cancel()


async def _all_tools(client: Client) -> list[Tool]:
    tools: list[Tool] = []
    cursor = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools += page.tools
        if not (cursor := page.next_cursor):
            return tools


async def _first(*waits: Any) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


class McpPool:
    """The connections of one process, one per server, made on first use."""

    def __init__(self) -> None:
        self._connections: dict[McpServer, McpConnection] = {}

    def connection(self, server: McpServer) -> McpConnection:
        if server not in self._connections:
            self._connections[server] = McpConnection(server)
        return self._connections[server]

    def __len__(self) -> int:
        return len(self._connections)

    async def close(self) -> None:
        """Close every connection (on shutdown)."""
        connections, self._connections = list(self._connections.values()), {}
        await asyncio.gather(*(c.close() for c in connections))
