"""Tools from plain typed Python functions.

`@tool` reads everything a model needs from the function itself: the name, the
description (the docstring, with per-argument text from its `Args:` section)
and the JSON schema of the arguments (from the type hints). Arguments are
checked against that schema before the call, sync functions run in a worker
thread so they cannot block the event loop, and every call has a time limit.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_type_hints, overload

from agents.llm.base import ToolSpec
from agents.schema import problems, schema_for
from agents.state import RunState

DEFAULT_TIMEOUT = 10.0

_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?):$")
_ARGUMENT = re.compile(r"^\s*(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


class ToolArgumentError(ValueError):
    """The arguments a model sent do not fit the tool's schema."""


class ToolTimeoutError(TimeoutError):
    """A tool did not finish within its time limit."""


@dataclass(frozen=True, slots=True)
class Tool:
    """A callable the agent offers to its model. Build it with `@tool`."""

    name: str
    description: str
    parameters: dict[str, Any]
    fn: Callable[..., Any]
    timeout: float = DEFAULT_TIMEOUT
    state_param: str | None = None
    needs_approval: bool = False  # every call waits for a person's decision

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)

    @property
    def needs_state(self) -> bool:
        """True when the tool takes the run's `RunState` (only stateful agents
        can offer it)."""
        return self.state_param is not None

    def check(self, args: Any) -> dict[str, Any]:
        """The arguments, if they fit the schema; `ToolArgumentError` otherwise."""
        if not isinstance(args, dict):
            raise ToolArgumentError(f"arguments must be an object, got {args!r}")
        properties = self.parameters["properties"]
        found = [
            f"missing required argument {name!r}"
            for name in self.parameters["required"]
            if name not in args
        ]
        for name, value in args.items():
            if name in properties:
                found += problems(value, properties[name], f"argument {name!r}")
            else:
                expected = ", ".join(properties) or "none"
                found.append(f"unexpected argument {name!r} (expected: {expected})")
        if found:
            raise ToolArgumentError("; ".join(found))
        return dict(args)

    async def invoke(
        self,
        args: Any,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the tool's limit, applied inside
        state: RunState | None = None,
    ) -> Any:
        """Check the arguments, call the function and return its JSON-able result.

        Raises `ToolArgumentError`, `ToolTimeoutError`, or whatever the function
        raised. A sync function that overruns keeps its worker thread until it
        returns (threads cannot be killed); its result is then discarded.
        """
        kwargs = self.check(args)
        if self.state_param is not None:
            if state is None:
                raise RuntimeError(
                    f"{self.name} needs agent state, which this agent does not keep"
                )
            kwargs[self.state_param] = state
        limit = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit) as deadline:
                if inspect.iscoroutinefunction(self.fn):
                    result = await self.fn(**kwargs)
                else:
                    result = await asyncio.to_thread(self.fn, **kwargs)
        except TimeoutError:
            if not deadline.expired():
                raise  # the tool's own timeout, not ours
            raise ToolTimeoutError(
                f"{self.name} did not finish within {limit:g} s"
            ) from None
        try:
            json.dumps(result)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{self.name} returned a value that is not JSON: {exc}"
            ) from exc
        return result


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    needs_approval: bool = False,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    needs_approval: bool = False,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a typed function into a `Tool`: `@tool` or `@tool(name=..., timeout=...,
    needs_approval=True)`; a tool that needs approval waits for a person's
    decision before every call, in any agent that offers it.

    Raises `TypeError` when the function cannot be described to a model: no
    docstring, an argument without a type hint or with a type JSON cannot
    carry, `*args`/`**kwargs`, or a sync function that wants `RunState` (state
    calls are awaited, so such tools must be `async def`).
    """

    def build(fn: Callable[..., Any]) -> Tool:
        description, documented = _parse_docstring(fn)
        hints = get_type_hints(fn)
        properties: dict[str, Any] = {}
        required: list[str] = []
        state_param = None
        for param in inspect.signature(fn).parameters.values():
            if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                raise TypeError(f"{fn.__name__}: {param} cannot be passed by name")
            if param.name not in hints:
                raise TypeError(f"{fn.__name__}: argument {param.name!r} has no type")
            if hints[param.name] is RunState:
                if not inspect.iscoroutinefunction(fn):
                    raise TypeError(f"{fn.__name__} uses RunState, so must be async")
                state_param = param.name
                continue
            schema = schema_for(hints[param.name])
            if param.name in documented:
                schema["description"] = documented[param.name]
            properties[param.name] = schema
            if param.default is param.empty:
                required.append(param.name)
        parameters = {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        return Tool(
            name or fn.__name__,
            description,
            parameters,
            fn,
            timeout,
            state_param,
            needs_approval,
        )

    return build if fn is None else build(fn)


def _parse_docstring(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """The summary of a Google-style docstring and its `Args:` descriptions."""
    if not fn.__doc__:
        raise TypeError(f"{fn.__name__} needs a docstring: it is what the model reads")
    summary: list[str] = []
    arguments: dict[str, list[str]] = {}
    section = current = None
    for line in inspect.cleandoc(fn.__doc__).splitlines():
        if match := _SECTION.match(line):
            section, current = match[1], None
        elif section is None:
            summary.append(line)
        elif section in ("Args", "Arguments", "Parameters") and line.strip():
            indent = len(line) - len(line.lstrip())
            if indent <= 4 and (match := _ARGUMENT.match(line)):
                current = match[1]
                arguments[current] = [match[2]]
            elif current is not None:
                arguments[current].append(line)
    described = {
        key: " ".join(" ".join(text).split()) for key, text in arguments.items()
    }
    return " ".join(" ".join(summary).split()), described


def describe_failure(exc: BaseException) -> str:
    """The `tool_error` text for an exception from `Tool.invoke`."""
    match exc:
        case ToolArgumentError():
            return f"invalid arguments: {exc}"
        case ToolTimeoutError():
            return str(exc)
        case _:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
