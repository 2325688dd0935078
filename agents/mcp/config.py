"""An `[[mcp]]` table of an agent definition: which server, how to reach it.

A table names a stdio server (`command`, `args`, `env`) or a streamable-HTTP
one (`url`, `headers`), an optional allow-list of its tools and a time limit.
Values may hold `${VAR}`: they are read from the environment when the
connection opens, never at load time, so a secret stays out of the definition,
the transcript and the process's memory until it is needed.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 30.0
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
FIELDS = ("name", "command", "args", "env", "url", "headers", "tools", "timeout")


class MissingVariable(LookupError):
    """A `${VAR}` of a server's table that the environment does not set."""


@dataclass(frozen=True)
class McpServer:
    """One MCP server an agent uses; `tools` is the allow-list (None: all)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    tools: tuple[str, ...] | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"

    @property
    def where(self) -> str:
        """How the server is reached, for messages (no secrets: `${VAR}` unread)."""
        return self.url or " ".join((self.command or "", *self.args))

    def allows(self, tool: str) -> bool:
        return self.tools is None or tool in self.tools

    def environment(self) -> dict[str, str]:
        """The stdio server's extra environment, `${VAR}`s read now."""
        return {key: expand(value) for key, value in self.env}

    def http_headers(self) -> dict[str, str]:
        return {key: expand(value) for key, value in self.headers}

    def missing(self, environ: Mapping[str, str] = os.environ) -> list[str]:
        """The `${VAR}`s this server needs that `environ` lacks."""
        values = [value for _, value in (*self.env, *self.headers)]
        if self.url:
            values.append(self.url)
        return sorted(
            {
                name
                for value in values
                for name in _VARIABLE.findall(value)
                if name not in environ
            }
        )


def expand(value: str) -> str:
    """`value` with each `${VAR}` replaced from the environment."""

    def variable(match: re.Match) -> str:
        try:
            return os.environ[match[1]]
        except KeyError:
            raise MissingVariable(f"${{{match[1]}}} is not set") from None

    return _VARIABLE.sub(variable, value)


def executable(command: str) -> str | None:
    """Where `command` is: as given, on PATH, or beside this Python (a server
    installed in the project's virtualenv runs even when its bin is not on
    PATH); None when it is nowhere."""
    if os.sep in command:
        return command if os.access(command, os.X_OK) else None
    beside = Path(sys.executable).parent / command
    if os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(command)


def parse_server(table: Any) -> tuple[McpServer | None, list[tuple[str, str]]]:
    """An `[[mcp]]` table as a server, or the (field, problem) pairs that keep
    it from being one."""
    if not isinstance(table, dict):
        return None, [("", "must be a table")]
    problems: list[tuple[str, str]] = [
        (key, f"unknown field (known: {', '.join(FIELDS)})")
        for key in sorted(set(table) - set(FIELDS))
    ]

    def text(key: str) -> str | None:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append((key, f"must be a non-empty string, not {value!r}"))
            return None
        return value

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append((key, "must be a list of strings"))
            return ()
        return tuple(value)

    def pairs(key: str) -> tuple[tuple[str, str], ...]:
        value = table.get(key, {})
        if not isinstance(value, dict) or not all(
            isinstance(v, str) for v in value.values()
        ):
            problems.append((key, "must be a table of strings"))
            return ()
        return tuple(sorted(value.items()))

    name = text("name")
    if name is None and "name" not in table:
        problems.append(("name", "is required"))
    elif name is not None and not _NAME.match(name):
        problems.append(("name", f"{name!r} is not a lower-case slug of 32 or less"))
    command, url = text("command"), text("url")
    if (command is None) == (url is None) and not problems:
        problems.append(("command", "give either command (stdio) or url (HTTP)"))
    if url is not None and not re.match(r"^https?://", _names_only(url)):
        problems.append(("url", f"{url!r} is not an http(s) URL"))
    args, env, headers = strings("args"), pairs("env"), pairs("headers")
    if url is not None and (args or env):
        problems.append(("args", "args and env are for stdio servers (command)"))
    if command is not None and headers:
        problems.append(("headers", "headers are for HTTP servers (url)"))
    tools = strings("tools") if "tools" in table else None
    timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if (
        not isinstance(timeout, int | float)
        or isinstance(timeout, bool)
        or not 0 < timeout <= 3600
    ):
        problems.append(("timeout", "must be a number of seconds, above 0, to 3600"))
    if problems:
        return None, problems
    return (
        McpServer(
            name=name,
            command=command,
            args=args,
            env=env,
            url=url,
            headers=headers,
            tools=tools,
            timeout=float(timeout),
        ),
        [],
    )


def _names_only(value: str) -> str:
    """`value` with each `${VAR}` replaced by its name, to check its shape
    without reading the environment."""
    return _VARIABLE.sub(lambda match: match[1], value)


def startup_problems(server: McpServer, environ: Mapping[str, str] = os.environ) -> str:
    """Why the server surely cannot start, as far as is known without starting
    it (its command is nowhere, a `${VAR}` is unset); empty when nothing is."""
    if missing := server.missing(environ):
        return f"{', '.join('${' + name + '}' for name in missing)} not set"
    if server.command and executable(server.command) is None:
        return f"command {server.command!r} is not installed"
    return ""
