"""Connections to real MCP servers: both transports, and every way a server
can misbehave: it will not start, it hangs, it dies mid-call or while idle,
it answers with an error."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from agents.mcp import McpServer, McpUnavailable, offered_tools
from agents.mcp.tools import McpToolError
from agents.tools import ToolArgumentError, ToolTimeoutError
from tests.mcp.conftest import clock_server, stdio_server

pytestmark = pytest.mark.slow


def by_name(tools):
    return {tool.name: tool for tool in tools}


async def test_the_published_time_server_over_stdio(pool):
    tools = by_name(await offered_tools(pool, [clock_server()]))
    assert set(tools) == {"mcp_clock__get_current_time", "mcp_clock__convert_time"}
    now = await tools["mcp_clock__get_current_time"].invoke({"timezone": "Asia/Tokyo"})
    assert now["timezone"] == "Asia/Tokyo" and now["datetime"].endswith("+09:00")
    moved = await tools["mcp_clock__convert_time"].invoke(
        {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
    )
    assert moved["target"]["datetime"][11:16] == "21:00"
    assert moved["time_difference"] == "+9.0h"


async def test_the_allow_list_keeps_the_other_tools_out(pool):
    tools = await offered_tools(pool, [clock_server(tools=("convert_time",))])
    assert [tool.name for tool in tools] == ["mcp_clock__convert_time"]


async def test_the_declared_schema_is_checked_before_the_call(pool):
    book = by_name(await offered_tools(pool, [stdio_server()]))["mcp_test__book"]
    assert book.spec.parameters["required"] == ["room", "nights"]
    with pytest.raises(ToolArgumentError) as refused:
        await book.invoke({"room": "palace", "nights": 30})
    assert "'room'" in str(refused.value) and "'nights'" in str(refused.value)
    with pytest.raises(ToolArgumentError, match="'nights' is a required property"):
        await book.invoke({"room": "suite"})
    booked = await book.invoke({"room": "suite", "nights": 2})
    assert booked == {"room": "suite", "nights": 2, "breakfast": False}


async def test_an_error_result_is_a_failed_call(pool):
    fail = by_name(await offered_tools(pool, [stdio_server()]))["mcp_test__fail"]
    with pytest.raises(McpToolError, match="refused: no rooms"):
        await fail.invoke({"why": "no rooms"})


async def test_a_hung_call_is_bounded_and_the_server_goes_on(pool):
    tools = by_name(await offered_tools(pool, [stdio_server(timeout=0.5)]))
    with pytest.raises(ToolTimeoutError):
        await tools["mcp_test__hang"].invoke({})
    assert await tools["mcp_test__echo"].invoke({"text": "still here"}) == {
        "result": "still here"
    }
    assert pool.connection(stdio_server(timeout=0.5)).starts == 1


async def test_a_server_that_dies_mid_call_fails_that_call_and_starts_again(pool):
    server = stdio_server()
    tools = by_name(await offered_tools(pool, [server]))
    first = (await tools["mcp_test__pid"].invoke({}))["result"]
    with pytest.raises(McpUnavailable, match="closed the connection during the call"):
        await tools["mcp_test__crash"].invoke({})
    second = (await tools["mcp_test__pid"].invoke({}))["result"]
    assert second != first and pool.connection(server).starts == 2


async def test_a_server_killed_while_idle_is_started_again_for_the_next_call(pool):
    server = stdio_server()
    pid = by_name(await offered_tools(pool, [server]))["mcp_test__pid"]
    first = (await pid.invoke({}))["result"]
    os.kill(first, signal.SIGKILL)
    async with asyncio.timeout(10):  # it notices the end of the server's output
        while pool.connection(server).connected:  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.02)
    second = (await pid.invoke({}))["result"]
    assert second != first


async def test_a_server_that_cannot_start_offers_failing_tools_with_the_reason(pool):
    broken = McpServer(
        "broken",
        command="python3",
        args=("-c", "import sys; sys.stderr.write('no licence key'); sys.exit(2)"),
        tools=("lookup",),
    )
    (tool,) = await offered_tools(pool, [broken])
    assert tool.name == "mcp_broken__lookup"
    with pytest.raises(McpUnavailable, match=r"could not start.*no licence key"):
        await tool.invoke({"anything": 1})


async def test_a_missing_command_or_variable_is_named(pool):
    missing = McpServer("gone", command="no-such-mcp-server", tools=("x",))
    absent = McpServer(
        "secret",
        url="http://127.0.0.1:9/mcp",
        headers=(("Authorization", "Bearer ${AGENTSITE_NO_SUCH_TOKEN}"),),
        tools=("y",),
    )
    gone, secret = await offered_tools(pool, [missing, absent])
    with pytest.raises(McpUnavailable, match="'no-such-mcp-server' is not installed"):
        await gone.invoke({})
    with pytest.raises(
        McpUnavailable, match=r"\$\{AGENTSITE_NO_SUCH_TOKEN\} is not set"
    ):
        await secret.invoke({})


async def test_a_server_that_never_answers_is_bounded(pool, monkeypatch):
    monkeypatch.setattr("agents.mcp.connection.START_SECONDS", 0.5)
    mute = McpServer(
        "mute", command="python3", args=("-c", "import time; time.sleep(60)")
    )
    assert await offered_tools(pool, [mute]) == []  # no allow-list, never listed
    quiet = McpServer(
        "quiet",
        command="python3",
        args=("-c", "import time; time.sleep(60)"),
        tools=("ask",),
    )
    (ask,) = await offered_tools(pool, [quiet])
    with pytest.raises(McpUnavailable, match=r"did not start within 0\.5 s"):
        await ask.invoke({})


async def test_streamable_http_with_headers_from_the_environment(
    pool, http_url, monkeypatch
):
    monkeypatch.setenv("AGENTSITE_TEST_TOKEN", "s3cret")
    server = McpServer(
        "remote", url=http_url, headers=(("X-Token", "${AGENTSITE_TEST_TOKEN}"),)
    )
    tools = by_name(await offered_tools(pool, [server]))
    assert await tools["mcp_remote__echo"].invoke({"text": "over http"}) == {
        "result": "over http"
    }
    assert (await tools["mcp_remote__lines"].invoke({"count": 2}))["result"] == [
        "line 1",
        "line 2",
    ]
    sent = await tools["mcp_remote__header"].invoke({"name": "X-Token"})
    assert sent == {"result": "s3cret"}  # read from the environment at connect time
    with pytest.raises(McpToolError, match="refused: busy"):
        await tools["mcp_remote__fail"].invoke({"why": "busy"})


async def test_runs_share_one_connection_per_server(pool):
    server = stdio_server()
    batches = await asyncio.gather(*(offered_tools(pool, [server]) for _ in range(10)))
    pids = await asyncio.gather(
        *(by_name(tools)["mcp_test__pid"].invoke({}) for tools in batches)
    )
    assert len({p["result"] for p in pids}) == 1
    assert len(pool) == 1 and pool.connection(server).starts == 1
