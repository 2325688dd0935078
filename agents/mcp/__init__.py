"""Model Context Protocol servers as tool providers for agents.

A definition's `[[mcp]]` tables (`config`) name servers; the process keeps one
connection to each (`connection`); their tools join the agent's own (`tools`).
`offered_tools` is what a run's agent is built with: a server that cannot be
reached still offers the tools it is known to have (its allow-list, or what it
listed before), each failing at once with the reason, so the model can say so
and the run never hangs on it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence

from agents.mcp.config import McpServer
from agents.mcp.connection import McpPool, McpUnavailable
from agents.mcp.tools import mcp_tool, unavailable_tool
from agents.tools import Tool

log = logging.getLogger(__name__)
# The tools made from a connection's current listing (a new one after a restart).
_built: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

__all__ = ["McpPool", "McpServer", "McpUnavailable", "offered_tools"]


async def offered_tools(pool: McpPool, servers: Sequence[McpServer]) -> list[Tool]:
    """The tools `servers` offer, through `pool`'s connections (started now
    if they are not yet), in the order of the servers."""
    found = await asyncio.gather(*(_tools_of(pool, server) for server in servers))
    return [tool for tools in found for tool in tools]


async def _tools_of(pool: McpPool, server: McpServer) -> list[Tool]:
    connection = pool.connection(server)
    try:
        declared = await connection.tools()
    except McpUnavailable as exc:
        log.warning("%s", exc)
        names = server.tools if server.tools is not None else connection.known
        return [unavailable_tool(server, name, str(exc)) for name in names]
    built = _built.get(connection)
    if built is None or built[0] is not declared:
        # Once per listing, not per run: each tool compiles its schema's validator.
        tools = [
            mcp_tool(server, connection, tool)
            for tool in declared
            if server.allows(tool.name)
        ]
        built = _built[connection] = (declared, tools)
    return list(built[1])
