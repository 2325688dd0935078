"""Fixtures of the REST API tests: token clients and stored transcripts."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from agents.events import (
    Final,
    RunFinished,
    RunStarted,
    Thought,
    ToolCall,
    ToolResult,
    UserMessage,
)
from conversations.engine.storage import store_events
from conversations.models import ChatSession, Run


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api(alice_token) -> APIClient:
    """Alice's script: her token on every request."""
    return token_client(alice_token)


@pytest.fixture
def bob_api(bob_token) -> APIClient:
    return token_client(bob_token)


def store_exchange(
    session: ChatSession, question: str = "what is 2 + 2?", answer: str = "4"
) -> Run:
    """A finished run stored as the engine stores it, without running an agent."""
    now = timezone.now()
    run = Run.objects.create(
        session=session,
        status=Run.Status.SUCCEEDED,
        message=question,
        started_at=now,
        finished_at=now,
    )
    events = [
        UserMessage(question),
        RunStarted(session.agent),
        Thought("Adding."),
        ToolCall("c1", "add", {"a": 2, "b": 2}),
        ToolResult("c1", "add", 4, 0.5),
        Final(answer),
        RunFinished("succeeded", 1.0),
    ]
    with transaction.atomic():
        rows = store_events(session.id, run.id, events)
    Run.objects.filter(pk=run.pk).update(first_seq=rows[0].seq)
    return run
