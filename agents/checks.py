"""`manage.py check` reports broken agent definitions by file and field."""

from django.core.checks import Error, register

from agents.registry import validate_definitions


@register()
def agent_definitions_check(app_configs, **kwargs) -> list[Error]:
    """One error per problem in agents/definitions/*.toml."""
    return [
        Error(problem.message, obj=f"{problem.path}: {problem.field}", id="agents.E001")
        for problem in validate_definitions()
    ]
