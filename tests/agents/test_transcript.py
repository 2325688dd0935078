"""Rebuilding model context from stored events, and following the partial answer."""

from __future__ import annotations

import datetime

from agents.events import (
    Delta,
    Error,
    Final,
    RunFinished,
    RunStarted,
    StateDelta,
    Thought,
    ToolCall,
    ToolError,
    ToolResult,
    UserMessage,
)
from agents.llm.base import ChatMessage, ToolCallRequest
from agents.transcript import PartialAnswer, history_messages, tool_message


def test_history_rebuilds_user_messages_answers_and_tool_calls() -> None:
    events = [
        UserMessage("2+2?", client_id="c-1"),
        RunStarted("math"),
        Thought("I'll add."),
        ToolCall("t1", "add", {"a": 2, "b": 2}),
        StateDelta("session", {"last": 4}),
        ToolResult("t1", "add", 4, 1.0),
        ToolCall("t2", "divide", {"a": 1, "b": 0}),
        ToolError("t2", "divide", "ZeroDivisionError: division by zero"),
        Final("4"),
        RunFinished("succeeded", 3.0),
    ]
    assert history_messages(events) == [
        ChatMessage("user", "2+2?"),
        ChatMessage(
            "assistant", tool_calls=(ToolCallRequest("t1", "add", {"a": 2, "b": 2}),)
        ),
        ChatMessage("tool", '{"result": 4}', tool_call_id="t1", name="add"),
        ChatMessage(
            "assistant", tool_calls=(ToolCallRequest("t2", "divide", {"a": 1, "b": 0}),)
        ),
        ChatMessage(
            "tool",
            '{"error": "ZeroDivisionError: division by zero"}',
            tool_call_id="t2",
            name="divide",
        ),
        ChatMessage("assistant", "4"),
    ]


def test_a_tool_call_that_never_got_an_outcome_is_left_out() -> None:
    events = [
        UserMessage("go"),
        ToolCall("t1", "slow", {}),
        Error("agent_error", "x"),
        RunFinished("cancelled", 1.0),
    ]
    assert history_messages(events) == [ChatMessage("user", "go")]


def test_a_result_json_cannot_encode_reaches_the_model_as_its_text() -> None:
    when = datetime.date(2026, 11, 25)
    assert tool_message(ToolResult("t1", "today", when, 0.1)) == ChatMessage(
        "tool", '{"result": "2026-11-25"}', tool_call_id="t1", name="today"
    )


def test_partial_answer_follows_the_text_that_is_still_the_answer() -> None:
    answer = PartialAnswer()
    for event in [RunStarted("a"), Delta("Let me "), Delta("check.")]:
        answer.feed(event)
    assert answer.text == "Let me check."
    # The model then asked for a tool: that text was thinking, not the answer.
    for event in [
        Thought("Let me check."),
        ToolCall("t", "x", {}),
        ToolResult("t", "x", 1, 1.0),
    ]:
        answer.feed(event)
    assert answer.text == ""
    answer.feed(Delta("It is 1"))
    assert answer.text == "It is 1"
    answer.feed(Final("It is 1."))
    assert answer.text == ""  # the answer is stored whole: nothing partial is left
