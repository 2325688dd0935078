"""Where the Django side meets the agent framework: building a run's agent.

The registry of agent definitions is loaded once per process; each run gets an
agent wired to the ORM stores (history read from this session's transcript before
the run's own message) and to the model named by the settings.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

from agents.base import BaseAgent, Policy
from agents.context import RunContext
from agents.llm.base import Model
from agents.llm.offline import OfflineModel, Pace
from agents.llm.openai_compat import OpenAICompatibleModel
from agents.mcp import offered_tools
from agents.registry import AgentRegistry, load_registry
from conversations.engine.process import EngineProcess
from conversations.stores import OrmStateStore, TranscriptHistoryStore

if TYPE_CHECKING:
    from conversations.engine.storage import RunSpec


@cache
def get_registry() -> AgentRegistry:
    """The agents this process can run: the definitions, read once, plus the
    Python agents that AGENT_PLUGINS register."""
    registry = load_registry(settings.AGENT_DEFINITION_DIRS)
    for path in settings.AGENT_PLUGINS:
        import_string(path)(registry)
    return registry


def agent_names() -> list[str]:
    return [spec.name for spec in get_registry()]


def default_agent() -> str:
    """The agent a session gets when the client names none."""
    return get_registry().default.name


def policy_for(agent: str) -> Policy:
    """The agent's double-message policy: reject, enqueue, interrupt or steer.

    A session whose agent is no longer defined gets `reject`: its run then fails
    with a clear error event instead of the message vanishing.
    """
    registry = get_registry()
    return registry.get(agent).policy if agent in registry else Policy.REJECT


def steering_for(agent: str) -> bool:
    """Whether the agent takes messages sent to steer its working run."""
    registry = get_registry()
    return agent in registry and registry.get(agent).steering


def agent_catalogue() -> list[dict]:
    """Every registered agent as the API lists it."""
    return [
        {
            "name": spec.name,
            "description": spec.description,
            "tools": [*spec.tools, *spec.mcp_names],
            "capabilities": list(spec.capabilities),
            "policy": spec.policy,
            "steering": spec.steering,
            "examples": list(spec.examples),
            "mcp": [
                {
                    "name": server.name,
                    "transport": server.transport,
                    "tools": None if server.tools is None else list(server.tools),
                }
                for server in spec.mcp
            ],
        }
        for spec in get_registry()
    ]


def offline_model() -> OfflineModel:
    """The bundled model at the pace the settings give it."""
    return OfflineModel(
        Pace(settings.OFFLINE_THINK_SECONDS, settings.OFFLINE_WORDS_PER_SECOND)
    )


def model_from_settings() -> Model:
    """The offline model unless LLM_BASE_URL names an OpenAI-compatible server."""
    if not settings.LLM_BASE_URL:
        return offline_model()
    return OpenAICompatibleModel(
        base_url=settings.LLM_BASE_URL,
        api_key=settings.LLM_API_KEY,
        model=settings.LLM_MODEL,
        max_output_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
    )


async def build_agent(spec: RunSpec) -> BaseAgent:
    """The run's agent, with the tools of its MCP servers through this
    process's connections (started now if they are not yet)."""
    registry = get_registry()
    servers = registry.get(spec.agent).mcp if spec.agent in registry else ()
    extra = await offered_tools(EngineProcess.current().mcp, servers) if servers else []
    return registry.build(
        spec.agent,
        llm=model_from_settings(),
        offline=offline_model(),
        history_store=TranscriptHistoryStore(before_seq=spec.first_seq),
        state_store=OrmStateStore(),
        step_delay=settings.AGENT_STEP_DELAY,
        extra_tools=extra,
    )


def run_context(spec: RunSpec) -> RunContext:
    return RunContext(
        session_id=str(spec.session_id),
        user_id=str(spec.user_id),
        run_id=str(spec.run_id),
        client_id=spec.client_id,
    )
