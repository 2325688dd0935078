"""Erase a user and everything of theirs, from the terminal (operators)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from conversations.erasure import erase_user, user_counts


class Command(BaseCommand):
    help = (
        "Erase a user completely: sessions, events, state, feedback, approvals, "
        "grants, API tokens and the account. An audit record of the erasure, "
        "without any of it, stays."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go, erase nothing"
        )

    def handle(self, *args, username: str, dry_run: bool, **options) -> None:
        model = get_user_model()
        try:
            user = model.objects.get(**{model.USERNAME_FIELD: username})
        except model.DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        counts = user_counts(user) if dry_run else erase_user(user, by=None)
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        verb = "would erase" if dry_run else "erased"
        self.stdout.write(f"{verb} {username}: {summary}")
