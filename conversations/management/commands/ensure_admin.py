"""Make sure there is an account to sign in with on a fresh install."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the staff account 'admin' with a random password, printed once, "
        "when the database has no superuser yet. Does nothing otherwise."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        banner = "=" * 64
        self.stdout.write(
            f"{banner}\nCreated the staff account for the first sign-in:\n"
            f"  username: {username}\n  password: {password}\n"
            "Shown once. Change it with: .venv/bin/python manage.py changepassword "
            f"{username}\n{banner}"
        )
