"""The bundled clock agent on the offline model with the published
mcp-server-time: it tells the time, converts it, says why when the server
fails, and `[approval]` gates MCP tools like any other."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agents.events import ApprovalRequested, AwaitingApproval, ToolCall, ToolError
from agents.mcp import McpServer, offered_tools
from agents.registry import DEFINITIONS_DIR, load_registry
from agents.stores import InMemoryHistoryStore
from tests.agents.helpers import collect, final_text

pytestmark = pytest.mark.slow


async def clock_agent(pool, **build):
    spec = load_registry().get("clock")
    tools = await offered_tools(pool, spec.mcp)
    return load_registry().build(
        "clock", history_store=InMemoryHistoryStore(), extra_tools=tools, **build
    )


def hhmm(zone: str, delta_minutes: int = 0) -> str:
    return (datetime.now(ZoneInfo(zone)) + timedelta(minutes=delta_minutes)).strftime(
        "%H:%M"
    )


async def test_it_tells_the_time_in_a_city(pool) -> None:
    before = hhmm("Asia/Tokyo")
    events = await collect(await clock_agent(pool), "What time is it in Tokyo?")
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert (call.tool, call.args) == (
        "mcp_clock__get_current_time",
        {"timezone": "Asia/Tokyo"},
    )
    answer = final_text(events)
    assert answer.startswith(("It is " + before, "It is " + hhmm("Asia/Tokyo")))
    assert answer.endswith("in Tokyo (Asia/Tokyo).")


async def test_it_converts_a_time_between_zones(pool) -> None:
    events = await collect(
        await clock_agent(pool), "Convert 9:30 from London to New York"
    )
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.args == {
        "source_timezone": "Europe/London",
        "time": "09:30",
        "target_timezone": "America/New_York",
    }
    today = datetime.now(ZoneInfo("Europe/London")).replace(hour=9, minute=30)
    there = today.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    assert final_text(events).startswith(f"09:30 in London is {there} on ")


async def test_a_condition_and_pm_are_read(pool) -> None:
    events = await collect(
        await clock_agent(pool), "When it is 3pm in Sydney, what time is it in Berlin?"
    )
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.args["time"] == "15:00"
    assert call.args["target_timezone"] == "Europe/Berlin"


async def test_a_zone_the_server_refuses_is_explained(pool) -> None:
    events = await collect(await clock_agent(pool), "What time is it in Mars/Olympus?")
    (error,) = [e for e in events if isinstance(e, ToolError)]
    assert "Invalid timezone" in error.error
    assert final_text(events).startswith("I can't tell the time in Mars/Olympus:")


async def test_a_server_that_cannot_start_fails_the_call_with_the_reason(pool) -> None:
    broken = McpServer(
        "clock", command="no-such-mcp-server", tools=("get_current_time",)
    )
    agent = load_registry().build(
        "clock",
        history_store=InMemoryHistoryStore(),
        extra_tools=await offered_tools(pool, [broken]),
    )
    events = await collect(agent, "what time is it?")
    (error,) = [e for e in events if isinstance(e, ToolError)]
    assert "'no-such-mcp-server' is not installed" in error.error
    assert final_text(events).startswith("I can't tell the time in UTC:")


@pytest.mark.parametrize("gated", ["mcp_clock__get_current_time", "mcp_clock__*"])
async def test_approval_gates_mcp_tools_by_name_or_pattern(
    pool, tmp_path, gated
) -> None:
    clock = (DEFINITIONS_DIR / "clock.toml").read_text(encoding="utf-8")
    (tmp_path / "clock.toml").write_text(
        clock.replace("[[mcp]]", f"[approval]\ntools = [{gated!r}]\n\n[[mcp]]", 1),
        encoding="utf-8",
    )
    registry = load_registry(tmp_path)
    agent = registry.build(
        "clock",
        history_store=InMemoryHistoryStore(),
        extra_tools=await offered_tools(pool, registry.get("clock").mcp),
    )
    events = await collect(agent, "What time is it in Paris?")
    assert isinstance(events[-1], AwaitingApproval)
    (asked,) = [e for e in events if isinstance(e, ApprovalRequested)]
    assert (asked.tool, asked.args) == (
        "mcp_clock__get_current_time",
        {"timezone": "Europe/Paris"},
    )
