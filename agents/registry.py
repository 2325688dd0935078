"""Agents declared as data, composed from mixins, and built on demand.

A definition (a TOML file in `agents/definitions/`) names an agent's name,
description, instructions, tools, capabilities, model, double-message policy,
a few example prompts for the chat page to offer, and an `[approval]` table
naming the tools whose calls wait for a person, and `[[mcp]]` tables naming
MCP servers whose tools the agent offers too (`agents.mcp`). The registry turns capabilities
into a class (`BaseAgent` plus
`SessionMixin` for "sessions", `StatefulMixin` for "state", in the article's
order) and also accepts agent classes written in Python. Building an agent
injects what the process owns: the model and the stores.

A broken file is a `DefinitionError` naming the file and the field;
`validate_definitions()` lists them all (for `manage.py check`) and
`load_registry()` refuses to start with any.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.approval import APPROVERS, DEFAULT_EXPIRES_SECONDS, ApprovalPolicy
from agents.base import POLICIES, BaseAgent, Policy
from agents.llm.base import Model
from agents.llm.offline import OfflineModel
from agents.mcp.config import McpServer, parse_server
from agents.mcp.tools import tool_name
from agents.mixins import SessionMixin, StatefulMixin
from agents.stores import HistoryStore, StateStore
from agents.toolbox import BUILTIN_TOOLS
from agents.tools import Tool

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
CAPABILITIES: dict[str, type] = {"sessions": SessionMixin, "state": StatefulMixin}
MODELS = ("offline", "default")
# Starter prompts are buttons on an empty chat: a handful, each short enough to read.
MAX_EXAMPLES = 6
MAX_EXAMPLE_CHARS = 200
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class DefinitionError(Exception):
    """A definition that cannot be loaded: which file, which field, what is wrong."""

    def __init__(self, path: Path | str, field: str, message: str) -> None:
        super().__init__(f"{path}: {field}: {message}")
        self.path = Path(path)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AgentSpec:
    """What an agent is, as listed by the API; `agent_class` is how it is built.

    `model` is "default" (the project's configured model) or "offline" (always
    the bundled offline model). `examples` are prompts an empty chat offers.
    """

    name: str
    description: str
    tools: tuple[str, ...]
    capabilities: tuple[str, ...]
    agent_class: type[BaseAgent]
    instructions: str = ""
    model: str = "default"
    policy: Policy = Policy.REJECT
    max_steps: int = 8
    default: bool = False
    source: Path | None = None
    examples: tuple[str, ...] = ()
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    steering: bool = True  # takes a message sent with `steer` into a working run
    mcp: tuple[McpServer, ...] = ()  # servers whose tools it offers too

    @property
    def mcp_names(self) -> tuple[str, ...]:
        """The names of the allow-listed MCP tools (known before any server runs)."""
        return _allowed_mcp_names(self.mcp)


@functools.cache
def compose_agent_class(capabilities: frozenset[str]) -> type[BaseAgent]:
    """`BaseAgent` with the mixins of `capabilities`, one class per combination."""
    mixins = tuple(cls for key, cls in CAPABILITIES.items() if key in capabilities)
    if not mixins:
        return BaseAgent
    name = "".join(cls.__name__.removesuffix("Mixin") for cls in mixins) + "Agent"
    return type(name, (BaseAgent, *mixins), {"__doc__": f"Composed: {capabilities}"})


def capabilities_of(cls: type[BaseAgent]) -> tuple[str, ...]:
    return tuple(key for key, mixin in CAPABILITIES.items() if issubclass(cls, mixin))


class AgentRegistry:
    """The agents a process can run, by name."""

    def __init__(self, tools: Mapping[str, Tool] = BUILTIN_TOOLS) -> None:
        self.tools = dict(tools)
        self._specs: dict[str, AgentSpec] = {}

    def add(self, spec: AgentSpec) -> None:
        if spec.name in self._specs:
            raise ValueError(f"an agent named {spec.name!r} is already registered")
        unknown = [name for name in spec.tools if name not in self.tools]
        if unknown:
            raise ValueError(f"{spec.name}: unknown tools {unknown}")
        if stateless := _needing_state(spec.tools, spec.capabilities, self.tools):
            raise ValueError(
                f"{spec.name}: tools {stateless} need the 'state' capability"
            )
        self._specs[spec.name] = spec

    def register_class(
        self,
        agent_class: type[BaseAgent],
        *,
        name: str,
        description: str = "",
        tools: Sequence[str] = (),
        instructions: str = "",
        model: str = "default",
        policy: Policy = Policy.REJECT,
        max_steps: int = 8,
        examples: Sequence[str] = (),
        approval: ApprovalPolicy | None = None,
        steering: bool = True,
        mcp: Sequence[McpServer] = (),
    ) -> AgentSpec:
        """Register an agent class written in Python (mixins already composed)."""
        if not issubclass(agent_class, BaseAgent):
            raise TypeError(f"{agent_class!r} is not a BaseAgent")
        spec = AgentSpec(
            name=name,
            description=description,
            tools=tuple(tools),
            capabilities=capabilities_of(agent_class),
            agent_class=agent_class,
            instructions=instructions,
            model=model,
            policy=policy,
            max_steps=max_steps,
            examples=tuple(examples),
            approval=approval or ApprovalPolicy(),
            steering=steering,
            mcp=tuple(mcp),
        )
        self.add(spec)
        return spec

    def get(self, name: str) -> AgentSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise KeyError(f"no agent named {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[AgentSpec]:
        return iter(sorted(self._specs.values(), key=lambda spec: spec.name))

    def __len__(self) -> int:
        return len(self._specs)

    @property
    def default(self) -> AgentSpec:
        """The agent marked `default = true`, else the first by name."""
        specs = list(self)
        if not specs:
            raise LookupError("no agents are registered")
        return next((spec for spec in specs if spec.default), specs[0])

    def build(
        self,
        name: str,
        *,
        llm: Model | None = None,
        offline: Model | None = None,
        history_store: HistoryStore | None = None,
        state_store: StateStore | None = None,
        step_delay: float = 0.0,
        extra_tools: Sequence[Tool] = (),
    ) -> BaseAgent:
        """An agent ready to run. `llm` is the project's default model, `offline`
        the bundled one as the project paces it (both the full-speed offline
        model when omitted); a definition saying `model = "offline"` always
        gets `offline`. Stores are required by the capabilities that use them.
        `extra_tools` join the agent's own: its MCP servers' tools, which only
        the process that holds the connections can give."""
        spec = self.get(name)
        stores: dict[str, Any] = {}
        if issubclass(spec.agent_class, SessionMixin):
            if history_store is None:
                raise ValueError(f"agent {name!r} keeps sessions: pass history_store")
            stores["history_store"] = history_store
        if issubclass(spec.agent_class, StatefulMixin):
            if state_store is None:
                raise ValueError(f"agent {name!r} keeps state: pass state_store")
            stores["state_store"] = state_store
        offline = offline or OfflineModel()
        if llm is None or spec.model == "offline":
            llm = offline
        return spec.agent_class(
            [*(self.tools[tool] for tool in spec.tools), *extra_tools],
            llm,
            name=spec.name,
            description=spec.description,
            instructions=spec.instructions,
            max_steps=spec.max_steps,
            step_delay=step_delay,
            policy=spec.policy,
            approval=spec.approval,
            **stores,
        )


def validate_definitions(
    directories: Path | Sequence[Path] = DEFINITIONS_DIR,
    *,
    tools: Mapping[str, Tool] = BUILTIN_TOOLS,
) -> list[DefinitionError]:
    """Every problem of every definition in `directories`, for a system check."""
    return _load(directories, tools)[1]


def load_registry(
    directories: Path | Sequence[Path] = DEFINITIONS_DIR,
    *,
    tools: Mapping[str, Tool] = BUILTIN_TOOLS,
) -> AgentRegistry:
    """A registry of the definitions in `directories` (a folder or several, as
    AGENT_DEFINITIONS adds them); raises the first `DefinitionError` (run
    `validate_definitions` to see them all)."""
    registry, errors = _load(directories, tools)
    if errors:
        raise errors[0]
    return registry


def _definition_files(
    directories: Path | Sequence[Path], errors: list[DefinitionError]
) -> list[Path]:
    folders = [directories] if isinstance(directories, Path | str) else directories
    files: list[Path] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            errors.append(DefinitionError(folder, "folder", "is not a folder"))
        files += sorted(folder.glob("*.toml"))
    return files


def _load(
    directories: Path | Sequence[Path], tools: Mapping[str, Tool]
) -> tuple[AgentRegistry, list[DefinitionError]]:
    registry = AgentRegistry(tools)
    errors: list[DefinitionError] = []
    defaults: list[Path] = []
    for path in _definition_files(directories, errors):
        spec, found = _read(path, tools)
        errors += found
        if spec is None:
            continue
        if spec.name in registry:
            other = registry.get(spec.name).source
            errors.append(
                DefinitionError(
                    path, "name", f"{spec.name!r} is also defined in {other}"
                )
            )
            continue
        if spec.default:
            defaults.append(path)
        registry.add(spec)
    if len(defaults) > 1:
        errors.append(
            DefinitionError(
                defaults[1], "default", f"{defaults[0].name} is already the default"
            )
        )
    return registry, errors


def _read(
    path: Path, tools: Mapping[str, Tool]
) -> tuple[AgentSpec | None, list[DefinitionError]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return None, [DefinitionError(path, "file", f"cannot be read as TOML: {exc}")]
    errors: list[DefinitionError] = []

    def field(key: str, kind: type, default: Any = None) -> Any:
        if key not in data:
            if default is None:
                errors.append(DefinitionError(path, key, "is required"))
            return default
        value = data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            errors.append(
                DefinitionError(path, key, f"must be a {kind.__name__}, not {value!r}")
            )
            return default
        return value

    def choice(key: str, value: str, allowed: Sequence[str]) -> None:
        if value not in allowed:
            errors.append(
                DefinitionError(path, key, f"{value!r} is not one of {list(allowed)}")
            )

    def names(key: str, allowed: Mapping[str, Any]) -> tuple[str, ...]:
        value = field(key, list, [])
        if not all(isinstance(item, str) for item in value):
            errors.append(DefinitionError(path, key, "must be a list of names"))
            return ()
        for item in value:
            choice(key, item, list(allowed))
        if len(set(value)) != len(value):
            errors.append(
                DefinitionError(path, key, "names a tool or capability twice")
            )
        return tuple(value)

    for key in sorted(set(data) - set(_FIELDS)):
        errors.append(
            DefinitionError(path, key, f"unknown field (known: {', '.join(_FIELDS)})")
        )
    name = field("name", str, None)
    if name is not None and not _NAME.match(name):
        errors.append(
            DefinitionError(path, "name", f"{name!r} is not a lower-case slug")
        )
    description = field("description", str, None)
    instructions = field("instructions", str, "")
    tool_names = names("tools", tools)
    capabilities = names("capabilities", CAPABILITIES)
    model = field("model", str, "default")
    choice("model", model, MODELS)
    policy = field("policy", str, "reject")
    choice("policy", policy, POLICIES)
    max_steps = field("max_steps", int, 8)
    if max_steps < 1:
        errors.append(DefinitionError(path, "max_steps", "must be at least 1"))
    default = field("default", bool, False)
    steering = field("steering", bool, True)
    if policy == Policy.STEER and not steering:
        errors.append(
            DefinitionError(path, "steering", "policy 'steer' needs steering")
        )
    examples = _examples(field("examples", list, []), path, errors)
    servers = _mcp(field("mcp", list, []), path, errors)
    approval = _approval(
        field("approval", dict, {}),
        (*tool_names, *_allowed_mcp_names(servers)),
        path,
        errors,
    )
    if stateless := _needing_state(tool_names, capabilities, tools):
        errors.append(
            DefinitionError(
                path, "capabilities", f"tools {stateless} need the 'state' capability"
            )
        )
    if errors:
        return None, errors
    spec = AgentSpec(
        name=name,
        description=description,
        tools=tool_names,
        capabilities=tuple(key for key in CAPABILITIES if key in capabilities),
        agent_class=compose_agent_class(frozenset(capabilities)),
        instructions=instructions,
        model=model,
        policy=Policy(policy),
        max_steps=max_steps,
        default=default,
        source=path,
        examples=examples,
        approval=approval,
        steering=steering,
        mcp=servers,
    )
    return spec, []


def _mcp(
    tables: list, path: Path, errors: list[DefinitionError]
) -> tuple[McpServer, ...]:
    """The `[[mcp]]` tables of a definition; problems go to `errors`, each
    named by its table (`mcp[0].url`)."""
    servers: list[McpServer] = []
    for index, table in enumerate(tables):
        server, problems = parse_server(table)
        errors += [
            DefinitionError(path, f"mcp[{index}]" + (f".{key}" if key else ""), text)
            for key, text in problems
        ]
        if server is None:
            continue
        if any(other.name == server.name for other in servers):
            errors.append(
                DefinitionError(
                    path, f"mcp[{index}].name", f"{server.name!r} is used twice"
                )
            )
        servers.append(server)
    return tuple(servers)


def _allowed_mcp_names(servers: Sequence[McpServer]) -> tuple[str, ...]:
    return tuple(
        tool_name(server.name, tool)
        for server in servers
        for tool in server.tools or ()
    )


def _examples(
    value: list, path: Path, errors: list[DefinitionError]
) -> tuple[str, ...]:
    """The starter prompts of a definition, stripped; problems go to `errors`."""
    found = len(errors)
    if len(value) > MAX_EXAMPLES:
        errors.append(
            DefinitionError(
                path,
                "examples",
                f"lists {len(value)} prompts; at most {MAX_EXAMPLES} are shown",
            )
        )
    for index, item in enumerate(value):
        where = f"examples[{index}]"
        if not isinstance(item, str) or not item.strip():
            errors.append(
                DefinitionError(
                    path, where, f"must be a non-empty string, not {item!r}"
                )
            )
        elif len(item.strip()) > MAX_EXAMPLE_CHARS:
            errors.append(
                DefinitionError(
                    path,
                    where,
                    f"is {len(item.strip())} characters long; "
                    f"at most {MAX_EXAMPLE_CHARS} fit on a button",
                )
            )
    if len(errors) > found:
        return ()
    return tuple(item.strip() for item in value)


_APPROVAL_FIELDS = ("tools", "approver", "expires_seconds")


def _approval(
    table: dict, tool_names: Sequence[str], path: Path, errors: list[DefinitionError]
) -> ApprovalPolicy:
    """The `[approval]` table of a definition; problems go to `errors`. A plain
    name must be one of the agent's tools (a typo would leave a call ungated);
    a pattern ("mcp_clock__*") may match tools that arrive later."""
    found = len(errors)
    for key in sorted(set(table) - set(_APPROVAL_FIELDS)):
        errors.append(
            DefinitionError(
                path,
                f"approval.{key}",
                f"unknown field (known: {', '.join(_APPROVAL_FIELDS)})",
            )
        )
    tools = table.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
        errors.append(
            DefinitionError(path, "approval.tools", "must be a list of tool names")
        )
        tools = []
    for name in tools:
        if not re.search(r"[*?\[]", name) and name not in tool_names:
            errors.append(
                DefinitionError(
                    path, "approval.tools", f"{name!r} is not one of the agent's tools"
                )
            )
    approver = table.get("approver", "owner")
    if approver not in APPROVERS:
        errors.append(
            DefinitionError(
                path,
                "approval.approver",
                f"{approver!r} is not one of {list(APPROVERS)}",
            )
        )
    expires = table.get("expires_seconds", DEFAULT_EXPIRES_SECONDS)
    if not isinstance(expires, int) or isinstance(expires, bool) or expires < 1:
        errors.append(
            DefinitionError(
                path,
                "approval.expires_seconds",
                "must be a whole number of seconds, at least 1",
            )
        )
    if len(errors) > found:
        return ApprovalPolicy()
    return ApprovalPolicy(tuple(tools), approver, expires)


def _needing_state(
    tool_names: Sequence[str], capabilities: Sequence[str], tools: Mapping[str, Tool]
) -> list[str]:
    """Tools that take `RunState`, offered by an agent that keeps no state."""
    if "state" in capabilities:
        return []
    return [name for name in tool_names if name in tools and tools[name].needs_state]


_FIELDS = (
    "name",
    "description",
    "instructions",
    "tools",
    "capabilities",
    "model",
    "policy",
    "max_steps",
    "default",
    "examples",
    "approval",
    "steering",
    "mcp",
)
