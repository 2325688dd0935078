"""Retention and recovery commands."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conversations.models import ChatSession
from tests.factories import new_session


def run_command(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_purge_dry_run_counts_old_sessions_and_deletes_nothing(alice, bob):
    old = new_session(alice)
    new_session(bob)
    ChatSession.objects.filter(pk=old.pk).update(
        last_activity=timezone.now() - timedelta(days=100)
    )
    assert "would delete 1 session(s)" in run_command(
        "purge_sessions", "--older-than", "90d", "--dry-run"
    )
    assert ChatSession.objects.count() == 2
    assert "deleted 1 session(s)" in run_command(
        "purge_sessions", "--older-than", "90d"
    )
    assert list(ChatSession.objects.values_list("owner__username", flat=True)) == [
        "bob"
    ]


def test_purge_by_user_deletes_only_their_sessions(alice, bob):
    new_session(alice)
    new_session(bob)
    run_command("purge_sessions", "--user", "alice")
    assert list(ChatSession.objects.values_list("owner__username", flat=True)) == [
        "bob"
    ]


@pytest.mark.parametrize(
    "args", [[], ["--older-than", "ninety"], ["--user", "nobody"]], ids=str
)
def test_purge_refuses_unclear_requests(transactional_db, args):
    with pytest.raises(CommandError):
        run_command("purge_sessions", *args)
