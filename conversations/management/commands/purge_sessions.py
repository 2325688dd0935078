"""Retention: delete sessions (with their runs, events and session state)."""

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from conversations import search
from conversations.models import ChatSession

UNITS = {"d": "days", "h": "hours", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """`90d`, `12h` or `2w` as a timedelta."""
    match = re.fullmatch(r"(\d+)([dhw])", text.strip())
    if not match:
        raise CommandError(
            f"--older-than {text!r}: use a number and d, h or w, like 90d"
        )
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Delete sessions whose last activity is older than --older-than and/or that "
        "belong to --user, with all their runs, events and session state."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--older-than", help="age of last activity, e.g. 90d, 12h, 2w"
        )
        parser.add_argument("--user", help="username whose sessions to delete")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go, delete nothing"
        )

    def handle(
        self, *args, older_than=None, user=None, dry_run=False, **options
    ) -> None:
        if not older_than and not user:
            raise CommandError("say what to purge: --older-than, --user, or both")
        sessions = ChatSession.objects.all()
        if older_than:
            sessions = sessions.filter(
                last_activity__lt=timezone.now() - parse_age(older_than)
            )
        if user:
            owner = get_user_model().objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"no user named {user!r}")
            sessions = sessions.filter(owner=owner)
        count = sessions.count()
        if dry_run:
            self.stdout.write(f"would delete {count} session(s)")
            return
        sessions.delete()
        search.forget_deleted()
        self.stdout.write(f"deleted {count} session(s)")
