"""`manage.py check` reports broken agent definitions by file and field,
instructions the offline model will not follow, and MCP servers that surely
cannot start."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from agents.llm.offline.instructions import unfollowed
from agents.mcp.config import startup_problems
from agents.registry import DefinitionError, load_registry, validate_definitions


@register()
def agent_definitions_check(app_configs, **kwargs) -> list[Error]:
    """One error per problem in the definitions of AGENT_DEFINITION_DIRS."""
    return [
        Error(problem.message, obj=f"{problem.path}: {problem.field}", id="agents.E001")
        for problem in validate_definitions(settings.AGENT_DEFINITION_DIRS)
    ]


@register()
def mcp_servers_check(app_configs, **kwargs) -> list[CheckMessage]:
    """A warning for each MCP server whose command is not installed or whose
    `${VAR}` is not set: its tools would fail in every run. Nothing is
    started here (`manage.py mcp_tools <agent>` does that)."""
    try:
        registry = load_registry(settings.AGENT_DEFINITION_DIRS)
    except DefinitionError:
        return []  # reported by agent_definitions_check
    return [
        Warning(
            f"MCP server {server.name!r} cannot start: {problem}",
            hint="Its tools fail with this reason in every run until it is fixed.",
            obj=f"{spec.source or spec.name}: mcp",
            id="agents.W002",
        )
        for spec in registry
        for server in spec.mcp
        if (problem := startup_problems(server))
    ]


@register()
def offline_instructions_check(app_configs, **kwargs) -> list[CheckMessage]:
    """A warning for each agent on the offline model whose instructions ask for
    a manner (a persona, a language, a style) that a rule-based model lacks."""
    try:
        registry = load_registry(settings.AGENT_DEFINITION_DIRS)
    except DefinitionError:
        return []  # reported by agent_definitions_check
    warnings: list[CheckMessage] = []
    for spec in registry:
        if spec.model != "offline" and settings.LLM_BASE_URL:
            continue
        if ignored := unfollowed(spec.instructions):
            warnings.append(
                Warning(
                    f"the offline model cannot follow: {' '.join(ignored)}",
                    hint="It applies only topic limits such as “Answer only questions "
                    "about moons.”; set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL for a "
                    "model that follows free-form instructions.",
                    obj=f"{spec.source}: instructions",
                    id="agents.W001",
                )
            )
    return warnings
