"""List what an agent's MCP servers offer: each tool, its name for the model,
its description and its argument schema, by starting the servers now."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from agents.mcp import McpPool, McpServer, McpUnavailable
from agents.mcp.tools import tool_name
from conversations import agent_factory


class Command(BaseCommand):
    help = (
        "Start the MCP servers of an agent's definition and list each server's "
        "tools with the name the model sees, whether the allow-list offers it, "
        "and its input schema. Fails, naming the reason, when a server cannot start."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("agent", help="the agent's name, as in its definition")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="one JSON document"
        )

    def handle(self, *args, agent: str, as_json: bool, **options) -> None:
        registry = agent_factory.get_registry()
        if agent not in registry:
            names = ", ".join(spec.name for spec in registry)
            raise CommandError(f"no agent named {agent!r} (agents: {names})")
        servers = registry.get(agent).mcp
        if not servers:
            raise CommandError(f"agent {agent!r} has no [[mcp]] servers")
        listed = asyncio.run(_list(servers))
        if as_json:
            self.stdout.write(_json(listed))
            return
        failed = []
        for entry in listed:
            server = entry["server"]
            self.stdout.write(
                self.style.MIGRATE_HEADING(f"{server} ({entry['where']})")
            )
            if "error" in entry:
                failed.append(server)
                self.stdout.write(self.style.ERROR(f"  {entry['error']}"))
                continue
            for tool in entry["tools"]:
                offered = (
                    "" if tool["offered"] else "  (not offered: not in the allow-list)"
                )
                self.stdout.write(f"  {tool['name']}{offered}")
                self.stdout.write(f"    {tool['description']}")
                schema = _json(tool["input_schema"]).replace("\n", "\n    ")
                self.stdout.write(f"    {schema}")
        if failed:
            raise CommandError(f"MCP server(s) could not start: {', '.join(failed)}")


async def _list(servers: tuple[McpServer, ...]) -> list[dict[str, Any]]:
    pool = McpPool()
    try:
        return list(await asyncio.gather(*(_server(pool, s) for s in servers)))
    finally:
        await pool.close()


async def _server(pool: McpPool, server: McpServer) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "server": server.name,
        "transport": server.transport,
        "where": server.where,
    }
    try:
        declared = await pool.connection(server).tools()
    except McpUnavailable as exc:
        return {**entry, "error": str(exc)}
    entry["tools"] = [
        {
            "name": tool_name(server.name, tool.name),
            "tool": tool.name,
            "offered": server.allows(tool.name),
            "description": tool.description or "",
            "input_schema": tool.input_schema,
            "output_schema": tool.output_schema,
        }
        for tool in declared
    ]
    return entry


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
