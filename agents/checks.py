"""`manage.py check` reports broken agent definitions by file and field, and
instructions the offline model will not follow."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from agents.llm.offline.instructions import unfollowed
from agents.registry import DefinitionError, load_registry, validate_definitions


@register()
def agent_definitions_check(app_configs, **kwargs) -> list[Error]:
    """One error per problem in agents/definitions/*.toml."""
    return [
        Error(problem.message, obj=f"{problem.path}: {problem.field}", id="agents.E001")
        for problem in validate_definitions()
    ]


@register()
def offline_instructions_check(app_configs, **kwargs) -> list[CheckMessage]:
    """A warning for each agent on the offline model whose instructions ask for
    a manner (a persona, a language, a style) that a rule-based model lacks."""
    try:
        registry = load_registry()
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
