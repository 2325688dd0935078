"""An MCP server built with the official SDK, for the tests and the bench.

`python -m tests.mcp.servers stdio` serves it over stdio,
`python -m tests.mcp.servers http <port>` over streamable HTTP at `/mcp`. Its
tools are the misbehaviours a client must survive: one that hangs, one that
kills its own process mid-call, one that answers with an error result, one
with a schema the model must respect, and plain ones for results and speed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

server = MCPServer("agentsite-test")


class Booking(BaseModel):
    room: str
    nights: int
    breakfast: bool


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
async def hang(seconds: float = 3600) -> str:
    """Take `seconds` to answer (an hour unless told)."""
    await asyncio.sleep(seconds)
    return "woke up"


@server.tool()
def crash() -> str:
    """Kill this server's process before answering."""
    os._exit(3)


@server.tool()
def fail(why: str) -> str:
    """Answer with an error result naming `why`."""
    raise ToolError(f"refused: {why}")


@server.tool()
def book(
    room: Literal["single", "double", "suite"],
    nights: Annotated[int, Field(ge=1, le=14)],
    breakfast: bool = False,
) -> Booking:
    """Book a room for 1 to 14 nights."""
    return Booking(room=room, nights=nights, breakfast=breakfast)


@server.tool()
def lines(count: int) -> list[str]:
    """`count` numbered lines, as text content."""
    return [f"line {n}" for n in range(1, count + 1)]


@server.tool()
def pid() -> int:
    """This server's process id (one process per connection)."""
    return os.getpid()


@server.tool()
def header(name: str, ctx: Context) -> str:
    """The value of a header of this call's HTTP request, or '' (stdio has none)."""
    return (ctx.headers or {}).get(name.lower(), "")


@server.tool()
def environment(name: str) -> str:
    """The value of an environment variable of this process, or ''."""
    return os.environ.get(name, "")


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
