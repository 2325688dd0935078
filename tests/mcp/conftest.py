"""Real MCP servers for the tests: the SDK-built test server over stdio and
over streamable HTTP, and the published `mcp-server-time`."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import pytest

from agents.mcp import McpPool, McpServer
from tests.servers import PROJECT_DIR, free_port

TEST_SERVER = ("-m", "tests.mcp.servers", "stdio")


def stdio_server(name: str = "test", **fields) -> McpServer:
    """The test server over stdio, run by this Python."""
    return McpServer(name, command=sys.executable, args=TEST_SERVER, **fields)


def clock_server(**fields) -> McpServer:
    return McpServer(
        "clock", command="mcp-server-time", args=("--local-timezone", "UTC"), **fields
    )


@pytest.fixture
async def pool() -> Iterator[McpPool]:
    """A pool of this test's own, closed after it (its servers' processes end)."""
    pool = McpPool()
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def http_url() -> Iterator[str]:
    """The test server over streamable HTTP, one process for the whole run."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.mcp.servers", "http", str(port)],
            cwd=PROJECT_DIR,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_for(port, process, log)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError("MCP test server exited: " + log.read().decode())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("MCP test server did not listen in 30 s")


@pytest.fixture
async def engine_mcp(test_agents):
    """The test agents (mcp-caller among them) on this test's engine; the
    engine's MCP connections are closed after the test, as on shutdown."""
    from conversations.engine.process import EngineProcess

    yield test_agents
    await EngineProcess.current().mcp.close()
