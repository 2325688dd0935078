"""An MCP server's tools as the agent's `Tool`s.

Names: `mcp_<server>__<tool>`, with anything outside `[A-Za-z0-9_-]` made `_`
and at most 64 characters (a digest keeps long names apart), because OpenAI's
API and the servers that copy it accept nothing else. Arguments are checked
against the schema the server declares, with the JSON Schema dialect it names,
before the call leaves the process. A result is the server's structured
content when it gives one, else its text; an error result is a failed call.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.validators import validator_for
from mcp.types import CallToolResult, TextContent
from mcp.types import Tool as DeclaredTool

from agents.mcp.config import McpServer
from agents.mcp.connection import McpConnection, McpUnavailable
from agents.tools import Tool, ToolArgumentError

MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# A tool of a server that cannot start takes anything: the call fails anyway,
# with the reason, which is what the model needs to hear.
_ANYTHING = {"type": "object", "properties": {}}


class McpToolError(RuntimeError):
    """The server ran the tool and reported that it failed."""


def tool_name(server: str, tool: str) -> str:
    """The name the model sees for `tool` of `server`."""
    name = _UNSAFE.sub("_", f"mcp_{server}__{tool}")
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


@dataclass(frozen=True, slots=True)
class McpTool(Tool):
    """A tool that lives on an MCP server; `schema_check` is its validator."""

    schema_check: Any = None

    def check(self, args: Any) -> dict[str, Any]:
        if not isinstance(args, dict):
            raise ToolArgumentError(f"arguments must be an object, got {args!r}")
        if self.schema_check is not None:
            errors = sorted(
                self.schema_check.iter_errors(args), key=lambda e: list(e.path)
            )
            if errors:
                raise ToolArgumentError("; ".join(_problem(e) for e in errors))
        return dict(args)


def mcp_tool(
    server: McpServer, connection: McpConnection, declared: DeclaredTool
) -> Tool:
    """`declared`, a tool of `server`, called through `connection`."""
    remote = declared.name

    async def call(**args: Any) -> Any:
        return result_of(await connection.call(remote, args))

    schema = {"type": "object", "properties": {}, **declared.input_schema}
    try:
        validator = validator_for(schema)
        validator.check_schema(schema)
        schema_check = validator(schema, format_checker=validator.FORMAT_CHECKER)
    except jsonschema.SchemaError:
        schema_check = None  # the server's mistake: let the server judge
    return McpTool(
        tool_name(server.name, remote),
        declared.description or declared.title or remote,
        schema,
        call,
        server.timeout,
        schema_check=schema_check,
    )


def unavailable_tool(server: McpServer, remote: str, reason: str) -> Tool:
    """A tool of a server that cannot start: every call fails with `reason`."""

    async def call(**args: Any) -> Any:
        raise McpUnavailable(reason)

    return McpTool(
        tool_name(server.name, remote),
        f"{remote} on the MCP server {server.name!r} (unavailable: {reason})",
        dict(_ANYTHING),
        call,
        server.timeout,
    )


def result_of(result: CallToolResult) -> Any:
    """What a call gave: structured content, else text (one string), else the
    content blocks, binary data described rather than copied."""
    if result.is_error:
        raise McpToolError(_text(result) or "the tool reported an error")
    if result.structured_content is not None:
        return result.structured_content
    if all(isinstance(block, TextContent) for block in result.content):
        return _text(result)
    return [_block(block) for block in result.content]


def _text(result: CallToolResult) -> str:
    return "\n".join(
        block.text for block in result.content if isinstance(block, TextContent)
    )


def _block(block: Any) -> Any:
    if isinstance(block, TextContent):
        return block.text
    data = block.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key in ("data", "blob"):
        if isinstance(data.get(key), str):
            data[key] = f"<{len(data[key]) * 3 // 4} bytes, not shown>"
        if isinstance(data.get("resource"), dict) and key in data["resource"]:
            data["resource"][key] = "<binary, not shown>"
    return data


def _problem(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(part) for part in error.path)
    return f"argument {where!r}: {error.message}" if where else error.message
