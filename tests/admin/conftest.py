"""Admin users: a view-only reviewer, a staff editor with every conversations
permission, a decider who may view and decide staff approvals, a superuser; and
a client logged in as each."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import make_user


def staff_with(username: str, codename_prefixes: tuple[str, ...]):
    user = make_user(username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    permissions = Permission.objects.filter(content_type__app_label="conversations")
    user.user_permissions.set(
        p for p in permissions if p.codename.startswith(codename_prefixes)
    )
    return user


@pytest.fixture
def viewer(transactional_db):
    return staff_with("viewer", ("view_",))


@pytest.fixture
def editor(transactional_db):
    return staff_with("editor", ("view_", "change_", "add_", "delete_"))


@pytest.fixture
def decider(transactional_db):
    return staff_with("rita", ("view_", "resolve_"))


@pytest.fixture
def superuser(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="pw-root")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(viewer) -> Client:
    return logged_in(viewer)


@pytest.fixture
def editor_client(editor) -> Client:
    return logged_in(editor)


@pytest.fixture
def decider_client(decider) -> Client:
    return logged_in(decider)


@pytest.fixture
def superuser_client(superuser) -> Client:
    return logged_in(superuser)
