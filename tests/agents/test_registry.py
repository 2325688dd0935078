"""Agents declared as data: loading, composing, building, and reporting bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.base import BaseAgent
from agents.llm.offline import OfflineModel
from agents.mixins import SessionMixin, StatefulMixin
from agents.registry import (
    AgentRegistry,
    DefinitionError,
    compose_agent_class,
    load_registry,
    validate_definitions,
)
from agents.stores import InMemoryHistoryStore, InMemoryStateStore
from tests.agents.helpers import ScriptedModel

GOOD = """
name = "echo"
description = "Repeats things."
tools = ["add"]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_definitions_are_valid() -> None:
    assert validate_definitions() == []


def test_shipped_agents_have_the_promised_capabilities() -> None:
    registry = load_registry()
    capabilities = {spec.name: spec.capabilities for spec in registry}
    assert capabilities == {
        "assistant": ("sessions", "state"),
        "calculator": (),
        "clock": ("sessions",),
        "geo": ("sessions",),
        "math": ("sessions", "state"),
        "notes": ("sessions", "state"),
    }
    assert registry.default.name == "assistant"
    assert registry.get("geo").tools == ("lookup_fact",)
    # Every tool but the notes, which only the agent that asks before saving has.
    notes = set(registry.get("notes").tools)
    assert set(registry.get("assistant").tools) == set(registry.tools) - notes
    assert registry.get("notes").approval.tools == ("save_note",)


def test_capabilities_compose_the_articles_class() -> None:
    cls = compose_agent_class(frozenset({"sessions", "state"}))
    assert cls.__mro__[1:4] == (BaseAgent, SessionMixin, StatefulMixin)
    assert compose_agent_class(frozenset()) is BaseAgent
    assert compose_agent_class(frozenset({"state", "sessions"})) is cls


def test_build_injects_model_and_stores() -> None:
    registry = load_registry()
    model = ScriptedModel()
    history, state = InMemoryHistoryStore(), InMemoryStateStore()
    math = registry.build(
        "math", llm=model, history_store=history, state_store=state, step_delay=0.5
    )
    assert isinstance(math, SessionMixin) and isinstance(math, StatefulMixin)
    assert (math.llm, math.history_store, math.state_store) == (model, history, state)
    assert (math.name, math.step_delay, math.policy) == ("math", 0.5, "reject")
    assert set(math.tools) == {
        *("add", "subtract", "multiply", "divide", "power", "sqrt", "convert")
    }


def test_an_offline_definition_always_gets_the_offline_model() -> None:
    calculator = load_registry().build("calculator", llm=ScriptedModel())
    assert isinstance(calculator.llm, OfflineModel)
    assert not isinstance(calculator, SessionMixin)


def test_building_without_a_needed_store_is_refused() -> None:
    with pytest.raises(ValueError, match="history_store"):
        load_registry().build("geo")


def test_python_agent_classes_can_be_registered() -> None:
    class Notebook(BaseAgent, StatefulMixin):
        pass

    registry = AgentRegistry()
    spec = registry.register_class(
        Notebook, name="notebook", description="Notes.", tools=["remember", "recall"]
    )
    assert spec.capabilities == ("state",)
    agent = registry.build("notebook", state_store=InMemoryStateStore())
    assert isinstance(agent, Notebook)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_class(Notebook, name="notebook")


def test_a_python_class_without_state_cannot_take_state_tools() -> None:
    with pytest.raises(ValueError, match="'state' capability"):
        AgentRegistry().register_class(BaseAgent, name="plain", tools=["remember"])


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('name = "Bad Name"\ndescription = "x"', "name", "lower-case slug"),
        ('description = "x"', "name", "is required"),
        ('name = "a"', "description", "is required"),
        ('name = "a"\ndescription = "x"\ntools = ["teleport"]', "tools", "'teleport'"),
        ('name = "a"\ndescription = "x"\ntools = "add"', "tools", "must be a list"),
        (
            'name = "a"\ndescription = "x"\ncapabilities = ["psychic"]',
            "capabilities",
            "'psychic'",
        ),
        (
            'name = "a"\ndescription = "x"\ntools = ["remember"]',
            "capabilities",
            "'state' capability",
        ),
        ('name = "a"\ndescription = "x"\nmodel = "gpt"', "model", "'gpt'"),
        ('name = "a"\ndescription = "x"\npolicy = "ignore"', "policy", "'ignore'"),
        ('name = "a"\ndescription = "x"\nmax_steps = 0', "max_steps", "at least 1"),
        (
            'name = "a"\ndescription = "x"\nmax_steps = true',
            "max_steps",
            "must be a int",
        ),
        ('name = "a"\ndescription = "x"\ncolour = "red"', "colour", "unknown field"),
        ('name = "a"\ndescription = ', "file", "cannot be read as TOML"),
    ],
)
def test_a_broken_definition_is_reported_with_its_file_and_field(
    tmp_path: Path, text: str, field: str, message: str
) -> None:
    path = write(tmp_path, "broken", text)
    errors = validate_definitions(tmp_path)
    assert [(e.path, e.field) for e in errors] == [(path, field)]
    assert message in errors[0].message
    assert str(errors[0]).startswith(f"{path}: {field}: ")


def test_all_problems_of_all_files_are_listed(tmp_path: Path) -> None:
    write(tmp_path, "one", 'name = "a"\npolicy = "x"')
    write(tmp_path, "two", GOOD)
    write(tmp_path, "three", GOOD)
    problems = {(e.path.name, e.field) for e in validate_definitions(tmp_path)}
    assert problems == {
        ("one.toml", "description"),
        ("one.toml", "policy"),
        ("two.toml", "name"),  # "echo" again, after three.toml
    }


def test_two_defaults_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "a", 'name = "a"\ndescription = "x"\ndefault = true')
    write(tmp_path, "b", 'name = "b"\ndescription = "x"\ndefault = true')
    [error] = validate_definitions(tmp_path)
    assert (error.path.name, error.field) == ("b.toml", "default")


def test_loading_a_directory_with_a_broken_file_raises_its_error(
    tmp_path: Path,
) -> None:
    write(tmp_path, "good", GOOD)
    write(tmp_path, "bad", 'name = "b"\ndescription = "x"\ntools = ["nope"]')
    with pytest.raises(DefinitionError) as caught:
        load_registry(tmp_path)
    assert (caught.value.path.name, caught.value.field) == ("bad.toml", "tools")


def test_a_minimal_definition_gets_the_defaults(tmp_path: Path) -> None:
    write(tmp_path, "echo", GOOD)
    spec = load_registry(tmp_path).get("echo")
    assert (spec.capabilities, spec.model, spec.policy, spec.max_steps) == (
        (),
        "default",
        "reject",
        8,
    )
    assert spec.agent_class is BaseAgent
    with pytest.raises(KeyError, match="no agent named 'nope'"):
        load_registry(tmp_path).get("nope")
