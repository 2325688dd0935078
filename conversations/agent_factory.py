"""Where the Django side meets the agent framework: building a run's agent.

The registry of agent definitions is loaded once per process; each run gets an
agent wired to the ORM stores (history read from this session's transcript before
the run's own message) and to the model named by the settings.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from conversations.engine.runner import RunSpec

DEFAULT_AGENT = "assistant"


@cache
def get_registry() -> Any:
    from agents.registry import load_registry

    return load_registry()


def policy_for(agent: str) -> str:
    """The agent's double-message policy: reject, enqueue or interrupt."""
    return get_registry().get(agent).policy


def model_from_settings() -> Any:
    """The offline model unless LLM_BASE_URL names an OpenAI-compatible server."""
    if not settings.LLM_BASE_URL:
        from agents.llm.offline import OfflineModel

        return OfflineModel()
    from agents.llm.openai_compat import OpenAICompatibleModel

    return OpenAICompatibleModel(
        base_url=settings.LLM_BASE_URL,
        api_key=settings.LLM_API_KEY,
        model=settings.LLM_MODEL,
    )


async def build_agent(spec: RunSpec) -> Any:
    from conversations.stores import OrmStateStore, TranscriptHistoryStore

    return get_registry().build(
        spec.agent,
        llm=model_from_settings(),
        history_store=TranscriptHistoryStore(before_seq=spec.first_seq),
        state_store=OrmStateStore(),
        step_delay=settings.AGENT_STEP_DELAY,
    )


def run_context(spec: RunSpec) -> Any:
    from agents.context import RunContext

    return RunContext(
        session_id=str(spec.session_id),
        user_id=str(spec.user_id),
        run_id=str(spec.run_id),
        client_id=spec.client_id,
    )
