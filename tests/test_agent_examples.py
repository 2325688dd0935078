"""Starter prompts (`examples` in an agent definition): how a file may list them,
how `manage.py check` reports a bad list, and that the shipped ones get answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from agents.events import ApprovalRequested, AwaitingApproval, ToolError
from agents.mcp import McpPool, offered_tools
from agents.registry import load_registry, validate_definitions
from agents.stores import InMemoryHistoryStore, InMemoryStateStore
from tests.agents.helpers import collect, final_text

BASE = """
name = "echo"
description = "Repeats things."
tools = ["add"]
"""


def definitions(directory: Path, examples: str) -> Path:
    (directory / "echo.toml").write_text(BASE + examples + "\n", encoding="utf-8")
    return directory


def problems(directory: Path) -> list[tuple[str, str]]:
    return [(error.field, error.message) for error in validate_definitions(directory)]


def test_examples_are_optional_and_loaded_stripped(tmp_path) -> None:
    assert load_registry(definitions(tmp_path, "")).get("echo").examples == ()
    listed = definitions(tmp_path, 'examples = ["  add 2 and 2 ", "add 3 and 4"]')
    assert load_registry(listed).get("echo").examples == ("add 2 and 2", "add 3 and 4")


@pytest.mark.parametrize(
    ("examples", "field", "message"),
    [
        ('examples = "add 2 and 2"', "examples", "must be a list, not 'add 2 and 2'"),
        ('examples = ["add", 2]', "examples[1]", "must be a non-empty string, not 2"),
        ('examples = ["add", "  "]', "examples[1]", "must be a non-empty string"),
        (
            f'examples = ["{"x" * 201}"]',
            "examples[0]",
            "is 201 characters long; at most 200 fit on a button",
        ),
        (
            "examples = [" + ", ".join(f'"q{n}"' for n in range(7)) + "]",
            "examples",
            "lists 7 prompts; at most 6 are shown",
        ),
    ],
)
def test_a_bad_examples_list_is_reported_by_field(
    tmp_path, examples, field, message
) -> None:
    ((found_field, found_message),) = problems(definitions(tmp_path, examples))
    assert found_field == field
    assert found_message.startswith(message)


def test_six_examples_of_200_characters_are_allowed(tmp_path) -> None:
    longest = "x" * 200
    listed = "examples = [" + ", ".join(f'"{longest}"' for _ in range(6)) + "]"
    assert problems(definitions(tmp_path, listed)) == []


def test_manage_py_check_names_the_file_and_the_bad_example(tmp_path, settings) -> None:
    directory = definitions(tmp_path, 'examples = ["What is 2 + 2?", ""]')
    settings.AGENT_DEFINITION_DIRS = [directory]
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    report = str(raised.value)
    assert "agents.E001" in report
    assert f"{directory / 'echo.toml'}: examples[1]" in report
    assert "must be a non-empty string" in report


@pytest.mark.django_db
def test_the_agents_api_lists_each_agents_examples(client, alice) -> None:
    client.force_login(alice)
    agents = {agent["name"]: agent for agent in client.get("/api/agents/").json()}
    assert agents["geo"]["examples"] == list(load_registry().get("geo").examples)
    assert all(agent["examples"] for agent in agents.values())


# Answers the offline model gives when a question is outside an agent's tools.
REFUSALS = ("I can't", "I have no", "I don't know")


@pytest.mark.parametrize("spec", list(load_registry()), ids=lambda spec: spec.name)
async def test_the_offline_model_answers_every_shipped_example(spec) -> None:
    """A starter prompt the agent then declines would be a poor first impression.
    One that asks for a person's approval first is answered by that request."""
    assert 1 <= len(spec.examples) <= 6
    pool = McpPool()  # the agent's MCP servers, for real (the clock's is on PyPI)
    try:
        for example in spec.examples:
            agent = load_registry().build(
                spec.name,
                history_store=InMemoryHistoryStore(),
                state_store=InMemoryStateStore(),
                extra_tools=await offered_tools(pool, spec.mcp),
            )
            events = await collect(agent, example)
            assert not any(isinstance(e, ToolError) for e in events), events
            answered(example, events)
    finally:
        await pool.close()


def answered(example: str, events: list) -> None:
    """The example got an answer that is not a refusal, or a request for approval."""
    if isinstance(events[-1], AwaitingApproval):
        assert any(isinstance(e, ApprovalRequested) for e in events), example
        return
    answer = final_text(events)
    assert answer, example
    assert not answer.startswith(REFUSALS), (example, answer)
