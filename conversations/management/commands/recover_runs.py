"""Finish runs left `running` by a process that died, as `interrupted`."""

import asyncio

from django.core.management.base import BaseCommand

from conversations.engine.service import recover_stale_runs


class Command(BaseCommand):
    help = (
        "Finish every run whose heartbeat is older than RUN_STALE_SECONDS as "
        "'interrupted' (with its run_finished event), then start what was queued "
        "behind it. Servers also do this by themselves, periodically."
    )

    def handle(self, *args, **options) -> None:
        count = asyncio.run(recover_stale_runs())
        self.stdout.write(f"recovered {count} run(s)")
