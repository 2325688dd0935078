"""Headless Chromium against a real daphne process, for the chat page's tests.

The browser is Debian's chromium (never a downloaded build). Without it the tests
skip on a developer's machine, but in CI (CI set) a missing browser fails them:
a green run there must mean the page was really driven.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.servers import ServerProcess


@pytest.fixture
def start_server(server_env) -> Iterator[Callable[..., ServerProcess]]:
    """Start a daphne process on this test's database; agents pause `step_delay`
    seconds between steps so a run can be caught mid-flight, and `env` sets
    more of its settings (the offline model's pace, say)."""
    servers: list[ServerProcess] = []

    def start(step_delay: float = 0.0, **env: str) -> ServerProcess:
        server = ServerProcess(
            env={**server_env, "AGENT_STEP_DELAY": str(step_delay), **env}
        )
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def signed_in(browser) -> Iterator[Callable]:
    """Open browser contexts already signed in as a user (cookie from the test DB)."""
    from django.test import Client

    contexts = []

    def open_context(server: ServerProcess, user, **options):
        client = Client()
        client.force_login(user)
        context = browser.new_context(**options)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": server.base_url,
                }
            ]
        )
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
