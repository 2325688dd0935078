"""`manage.py mcp_tools <agent>`: what an agent's MCP servers offer, by
starting them, and a clear failure when one cannot start."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agents.mcp import McpServer
from tests.slow_agents import MCP_TEST_SERVER

pytestmark = pytest.mark.slow


def mcp_tools(*args: str) -> str:
    out = StringIO()
    call_command("mcp_tools", *args, stdout=out)
    return out.getvalue()


def test_it_lists_the_bundled_clock_servers_tools_and_schemas() -> None:
    said = mcp_tools("clock")
    assert "clock (mcp-server-time --local-timezone UTC)" in said
    assert "  mcp_clock__get_current_time\n" in said
    assert "Get current time in a specific timezone" in said
    assert '"required": [\n        "timezone"\n      ]' in said


def test_json_lists_every_tool_and_what_the_allow_list_offers(test_agents) -> None:
    spec = test_agents.get("mcp-caller")
    limited = McpServer(
        MCP_TEST_SERVER.name,
        command=MCP_TEST_SERVER.command,
        args=MCP_TEST_SERVER.args,
        tools=("echo",),
    )
    test_agents._specs["mcp-caller"] = dataclasses.replace(spec, mcp=(limited,))
    (server,) = json.loads(mcp_tools("mcp-caller", "--json"))
    tools = {tool["tool"]: tool for tool in server["tools"]}
    assert server["transport"] == "stdio"
    assert tools["echo"]["offered"] and not tools["book"]["offered"]
    assert tools["book"]["name"] == "mcp_test__book"
    assert tools["book"]["input_schema"]["required"] == ["room", "nights"]


def test_a_server_that_cannot_start_fails_with_the_reason(test_agents) -> None:
    spec = test_agents.get("mcp-caller")
    broken = McpServer("gone", command="no-such-mcp-server")
    test_agents._specs["mcp-caller"] = dataclasses.replace(spec, mcp=(broken,))
    out = StringIO()
    with pytest.raises(CommandError, match="could not start: gone"):
        call_command("mcp_tools", "mcp-caller", stdout=out)
    assert "'no-such-mcp-server' is not installed" in out.getvalue()


def test_unknown_agents_and_agents_without_servers_are_refused() -> None:
    with pytest.raises(CommandError, match="no agent named 'nope'"):
        mcp_tools("nope")
    with pytest.raises(CommandError, match="agent 'geo' has no"):
        mcp_tools("geo")
