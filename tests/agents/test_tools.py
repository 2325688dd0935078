"""@tool: schemas from signatures, checked arguments, threads and time limits."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Literal

import pytest

from agents.context import RunContext
from agents.state import RunState
from agents.stores import InMemoryStateStore
from agents.tools import (
    ToolArgumentError,
    ToolTimeoutError,
    describe_failure,
    tool,
)


@tool
def book(
    title: str,
    copies: int,
    price: float,
    signed: bool,
    tags: list[str],
    extra: dict[str, int],
    cover: Literal["hard", "soft"] = "soft",
    note: str | None = None,
) -> str:
    """Order a book.

    The shop ships within a week.

    Args:
        title: The book's title.
        copies: How many to order,
            at least one.
        price: Most to pay per copy.
        signed: Whether the author signs it.
        tags: Labels for the order.
        extra: Anything else, by name.
        cover: Which binding.
        note: A note for the shop.
    """
    return title


def test_schema_is_derived_from_signature_and_docstring() -> None:
    spec = book.spec
    assert spec.name == "book"
    assert spec.description == "Order a book. The shop ships within a week."
    assert spec.parameters == {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "The book's title."},
            "copies": {
                "type": "integer",
                "description": "How many to order, at least one.",
            },
            "price": {"type": "number", "description": "Most to pay per copy."},
            "signed": {
                "type": "boolean",
                "description": "Whether the author signs it.",
            },
            "tags": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Labels for the order.",
            },
            "extra": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "Anything else, by name.",
            },
            "cover": {
                "enum": ["hard", "soft"],
                "type": "string",
                "description": "Which binding.",
            },
            "note": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "A note for the shop.",
            },
        },
        "required": ["title", "copies", "price", "signed", "tags", "extra"],
        "additionalProperties": False,
    }


def test_tool_name_and_timeout_can_be_set() -> None:
    @tool(name="ping_tool", timeout=2.5)
    def ping() -> str:
        """Ping."""
        return "pong"

    assert (ping.name, ping.timeout) == ("ping_tool", 2.5)


@pytest.mark.parametrize(
    "fn_source",
    [
        "def f(x):\n    'Doc.'\n",
        "def f(x: int):\n    pass\n",
        "def f(*xs: int):\n    'Doc.'\n",
        "def f(x: set):\n    'Doc.'\n",
        "def f(x: dict[int, str]):\n    'Doc.'\n",
    ],
    ids=["untyped", "no-docstring", "varargs", "set", "int-keys"],
)
def test_functions_a_model_cannot_call_are_refused(fn_source: str) -> None:
    namespace: dict[str, Any] = {}
    exec(fn_source, namespace)
    with pytest.raises(TypeError):
        tool(namespace["f"])


def test_sync_tool_wanting_state_is_refused() -> None:
    def sync(state: RunState) -> None:
        """Doc."""

    with pytest.raises(TypeError, match="must be async"):
        tool(sync)


VALID = {
    "title": "Dune",
    "copies": 2,
    "price": 9.5,
    "signed": False,
    "tags": [],
    "extra": {},
}


async def test_valid_arguments_reach_the_function() -> None:
    assert await book.invoke(VALID) == "Dune"


async def test_integers_are_accepted_for_float_parameters() -> None:
    assert await book.invoke({**VALID, "price": 10}) == "Dune"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {k: v for k, v in VALID.items() if k != "title"},
            "missing required argument 'title'",
        ),
        ({**VALID, "colour": "red"}, "unexpected argument 'colour'"),
        (
            {**VALID, "copies": "two"},
            "argument 'copies' must be an integer, got string 'two'",
        ),
        ({**VALID, "copies": 2.5}, "argument 'copies' must be an integer"),
        ({**VALID, "signed": 1}, "argument 'signed' must be a boolean"),
        (
            {**VALID, "copies": True},
            "argument 'copies' must be an integer, got boolean",
        ),
        (
            {**VALID, "cover": "paper"},
            "argument 'cover' must be one of ['hard', 'soft']",
        ),
        ({**VALID, "tags": ["a", 3]}, "argument 'tags'[1] must be a string"),
        ({**VALID, "extra": {"x": "y"}}, "argument 'extra'['x'] must be an integer"),
        ({**VALID, "note": 5}, "argument 'note' must be a string or null"),
        (["Dune"], "arguments must be an object"),
    ],
)
async def test_bad_arguments_are_refused_with_a_clear_message(
    args: Any, message: str
) -> None:
    with pytest.raises(ToolArgumentError) as caught:
        await book.invoke(args)
    assert message in str(caught.value)


async def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ToolArgumentError) as caught:
        await book.invoke({"title": 1, "surprise": 2})
    text = str(caught.value)
    assert "argument 'title' must be a string" in text
    assert "unexpected argument 'surprise'" in text
    assert "missing required argument 'copies'" in text


async def test_sync_tools_run_in_a_worker_thread() -> None:
    @tool
    def where() -> bool:
        """Whether this runs in the main thread."""
        return threading.current_thread() is threading.main_thread()

    assert await where.invoke({}) is False


async def test_a_blocking_sync_tool_does_not_block_the_event_loop() -> None:
    release = threading.Event()

    @tool
    def blocking() -> str:
        """Wait for the test."""
        return "released" if release.wait(5) else "the loop was blocked"

    call = asyncio.create_task(blocking.invoke({}))
    await asyncio.sleep(0.01)  # the loop still runs while the tool waits
    assert not call.done()
    release.set()  # on a blocked loop this comes only after the wait ran out
    assert await call == "released"


async def test_async_tool_over_its_time_limit_times_out() -> None:
    @tool(timeout=0.01)
    async def hang() -> None:
        """Never finish."""
        await asyncio.Event().wait()

    with pytest.raises(ToolTimeoutError, match=r"did not finish within 0\.01 s"):
        await hang.invoke({})


async def test_sync_tool_over_the_time_limit_given_to_invoke_times_out() -> None:
    release, finished = threading.Event(), threading.Event()

    @tool
    def slow() -> None:
        """Wait for the test."""
        release.wait(5)
        finished.set()

    with pytest.raises(ToolTimeoutError):
        await slow.invoke({}, timeout=0.01)
    assert not finished.is_set()  # the limit ended the wait, not the tool
    release.set()


async def test_a_tools_own_timeout_error_is_not_mistaken_for_the_limit() -> None:
    @tool
    async def flaky() -> None:
        """Fail like a network call."""
        raise TimeoutError("upstream timed out")

    with pytest.raises(TimeoutError) as caught:
        await flaky.invoke({})
    assert not isinstance(caught.value, ToolTimeoutError)


async def test_a_result_that_is_not_json_is_an_error() -> None:
    @tool
    def opaque() -> object:
        """Return something JSON cannot carry."""
        return object()

    with pytest.raises(TypeError, match="not JSON"):
        await opaque.invoke({})


async def test_state_is_passed_to_tools_that_ask_for_it_and_hidden_from_the_schema() -> (
    None
):
    @tool
    async def count(state: RunState) -> int:
        """Count calls in this session."""
        return await state.update("calls", lambda n: (n or 0) + 1)

    assert count.needs_state
    assert count.spec.parameters["properties"] == {}
    state = RunState(
        InMemoryStateStore(),
        agent="a",
        ctx=RunContext("s", "u", "r"),
        emit=lambda delta: None,
    )
    assert await count.invoke({}, state=state) == 1
    assert await count.invoke({}, state=state) == 2
    with pytest.raises(RuntimeError, match="needs agent state"):
        await count.invoke({})


def test_failures_are_described_for_the_transcript() -> None:
    assert (
        describe_failure(ToolArgumentError("missing x"))
        == "invalid arguments: missing x"
    )
    assert describe_failure(ZeroDivisionError("division by zero")) == (
        "ZeroDivisionError: division by zero"
    )
    assert describe_failure(KeyError()) == "KeyError"
