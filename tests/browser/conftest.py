"""Headless Chromium against a real daphne process, for the chat page's tests.

The browser is Debian's chromium (never a downloaded build). Without it the tests
skip on a developer's machine, but in CI (CI set) a missing browser fails them:
a green run there must mean the page was really driven.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so browser tests may not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One Chromium per test module.

    Playwright's sync API keeps an event loop running in the test's thread, which
    makes Django refuse ORM calls there; the tests' own ORM calls (fixtures, test
    data) are synchronous and never share a connection with that loop, so Django's
    guard is lifted for exactly as long as the browser is up.
    """
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def start_server(server_env) -> Iterator[Callable[..., ServerProcess]]:
    """Start a daphne process on this test's database; agents pause `step_delay`
    seconds between steps so a run can be caught mid-flight."""
    servers: list[ServerProcess] = []

    def start(step_delay: float = 0.0) -> ServerProcess:
        server = ServerProcess(env={**server_env, "AGENT_STEP_DELAY": str(step_delay)})
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
