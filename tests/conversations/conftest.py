"""Fixtures for the conversations app: users, their sessions, tokens."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conversations.models import ChatSession


def make_user(username: str):
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username
    )


@pytest.fixture
def alice(transactional_db):
    return make_user("alice")


@pytest.fixture
def bob(transactional_db):
    return make_user("bob")


@pytest.fixture
def alice_token(alice) -> str:
    return Token.objects.create(user=alice).key


@pytest.fixture
def bob_token(bob) -> str:
    return Token.objects.create(user=bob).key


def new_session(owner, agent: str = "assistant") -> ChatSession:
    return ChatSession.objects.create(owner=owner, agent=agent)


anew_session = database_sync_to_async(new_session)


@pytest.fixture
def alice_session(alice) -> ChatSession:
    return new_session(alice)
