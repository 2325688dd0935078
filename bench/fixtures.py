"""Test data made through the ORM by the client process, before any timing starts.

Users, tokens and sessions are bulk-created directly: the API would work too, but
would put thousands of untimed requests on the server being measured.
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conversations.models import ChatSession, Event


def user_with_token(prefix: str, *, staff: bool = False) -> tuple[object, str]:
    """A fresh user (unique name) and their API token."""
    user = get_user_model().objects.create_user(
        username=f"{prefix}-{uuid.uuid4().hex[:8]}",
        password=uuid.uuid4().hex,
        is_staff=staff,
        is_superuser=staff,
    )
    return user, Token.objects.create(user=user).key


def new_sessions(owner: object, agent: str, count: int) -> list[str]:
    """`count` empty sessions of `owner` with `agent`; their ids as strings."""
    sessions = [ChatSession(owner=owner, agent=agent) for _ in range(count)]
    ChatSession.objects.bulk_create(sessions, batch_size=1000)
    return [str(s.id) for s in sessions]


def stored_envelopes(session_id: str) -> list[dict]:
    """The stored transcript, as clients receive it."""
    return [e.envelope() for e in Event.objects.for_session(session_id).order_by("seq")]
