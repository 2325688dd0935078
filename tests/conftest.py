"""Suite-wide fixtures and the guard of the services run.

`.ci/run` runs the suite a second time with REQUIRE_SERVICES=1 and DATABASE_URL /
REDIS_URL pointing at the machine's PostgreSQL and Redis. There, a missing service
must fail the run at once instead of letting tests quietly fall back to SQLite or
the in-memory layer.
"""

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.servers import PROJECT_DIR

# The SQLite test database lives in var/ (make creates it; a bare pytest may not).
(PROJECT_DIR / "var").mkdir(exist_ok=True)


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=3):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run tests that restart PostgreSQL or stop Redis last (`order` among
    themselves): connections the process keeps for later tests would otherwise
    meet a server that went away."""

    def rank(item: pytest.Item) -> int:
        marker = item.get_closest_marker("disruptive")
        return 0 if marker is None else marker.kwargs.get("order", 1)

    items.sort(key=rank)


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("REQUIRE_SERVICES") != "1":
        return
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problems = []
    if not database_url.startswith("postgres"):
        problems.append("DATABASE_URL does not name PostgreSQL")
    elif not _reachable(database_url):
        problems.append(f"PostgreSQL at {database_url} does not answer")
    if not redis_url.startswith("redis"):
        problems.append("REDIS_URL does not name Redis")
    elif not _reachable(redis_url):
        problems.append(f"Redis at {redis_url} does not answer")
    if problems:
        raise pytest.UsageError(
            "services run without its services: " + "; ".join(problems)
        )


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Rate limits count per user id; ids repeat across tests."""
    from conversations.ratelimit import counters

    counters().clear()
    yield


@pytest.fixture
def redis_url() -> str:
    """The Redis of the services run; tests needing it are skipped on the embedded stack."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs REDIS_URL (runs in the PostgreSQL + Redis pass of .ci/run)")
    return url


@pytest.fixture
def server_env(transactional_db) -> dict[str, str]:
    """Environment for a child server process sharing this test's database."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{settings_dict['NAME']}"
    else:
        database_url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}"
        )
    return {
        "DATABASE_URL": database_url,
        "DEBUG": "1",
        "AGENT_PLUGINS": "tests.slow_agents.register_test_agents",
    }


@pytest.fixture
def live_server_process(server_env):
    """One real daphne process on this test's database, stopped after the test."""
    from tests.servers import ServerProcess

    server = ServerProcess(env=server_env).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Let the PostgreSQL test database be dropped at the end.

    Runs write on pool threads that keep their connections (as servers do); those
    threads are gone by now, but PostgreSQL still counts their sessions.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def in_memory_layer(settings):
    """Channels' in-memory layer, whichever the run uses: one process, and groups
    that can be looked into to see who is still watching."""
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }
    return get_channel_layer()


@pytest.fixture
def alice(transactional_db):
    from tests.factories import make_user

    return make_user("alice")


@pytest.fixture
def bob(transactional_db):
    from tests.factories import make_user

    return make_user("bob")


@pytest.fixture
def alice_token(alice) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=alice).key


@pytest.fixture
def bob_token(bob) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=bob).key


@pytest.fixture
def alice_session(alice):
    from tests.factories import new_session

    return new_session(alice)


@pytest.fixture
def test_agents(monkeypatch):
    """Make the test agents of tests/slow_agents.py available to the engine."""
    from conversations import agent_factory
    from tests.slow_agents import registry_with_test_agents

    registry = registry_with_test_agents()
    monkeypatch.setattr(agent_factory, "get_registry", lambda: registry)
    return registry


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


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove what SQLite's write-ahead log leaves beside this process's test
    database once Django has destroyed it (the -wal and -shm files)."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if (
        not name
        or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
    ):
        return
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{name}{suffix}").unlink(missing_ok=True)


@pytest.fixture
def staff_notes(monkeypatch):
    """The notes agent, its saves decided by staff (four eyes)."""
    import dataclasses

    from agents.approval import ApprovalPolicy
    from conversations.agent_factory import get_registry

    registry = get_registry()
    spec = registry.get("notes")
    staff = dataclasses.replace(spec, approval=ApprovalPolicy(("save_note",), "staff"))
    monkeypatch.setitem(registry._specs, "notes", staff)
