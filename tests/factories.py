"""Test data: users and their chat sessions."""

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model

from conversations.models import ChatSession


def make_user(username: str):
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username
    )


def new_session(owner, agent: str = "assistant") -> ChatSession:
    return ChatSession.objects.create(owner=owner, agent=agent)


anew_session = database_sync_to_async(new_session)
