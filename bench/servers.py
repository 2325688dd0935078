"""Stacks and server processes: what the benchmark runs the app on.

A stack is a database plus a channel layer, named by the environment the app reads
(DATABASE_URL, REDIS_URL). A server is a real child process (daphne or uvicorn) on
a free loopback port, started the way production starts it, optionally under
pyinstrument. The orchestrator never imports Django itself: every Django-side
step runs in a child process with the stack's environment.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import ServerProcess, free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "agentsite_bench"
REDIS_BENCH_URL = "redis://127.0.0.1:6379/9"
SQLITE_PATH = PROJECT_DIR / "var" / "bench.sqlite3"
CLIENT_TIMEOUT = 600.0


@dataclass(frozen=True)
class Stack:
    """A database and channel layer the app runs on."""

    name: str
    database_url: str
    redis_url: str = ""

    @property
    def env(self) -> dict[str, str]:
        """What a server or client process of this stack needs in its environment."""
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            # Production settings: no query log, no debug pages.
            "DEBUG": "0",
            "SECRET_KEY": BENCH_SECRET,
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "AGENT_PLUGINS": "bench.agents.register",
            "LOG_LEVEL": "WARNING",
            # The load clients send one user's messages faster than a person
            # may: the benchmarks measure the engine, not the per-user limit.
            "MESSAGE_RATE": "1000000/min",
            "DJANGO_SETTINGS_MODULE": "agentsite.settings",
            "PYTHONPATH": str(PROJECT_DIR),
        }


BENCH_SECRET = secrets.token_urlsafe(40)
EMBEDDED = Stack("sqlite+memory", f"sqlite:///{SQLITE_PATH}")
SERVICES = Stack(
    "postgres+redis",
    f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}",
    REDIS_BENCH_URL,
)


def services_available() -> bool:
    """PostgreSQL and Redis answer on their loopback ports."""
    for port in (5432, 6379):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
        except OSError:
            return False
    return True


def prepare(stack: Stack) -> None:
    """A fresh, migrated database (and an empty Redis db 9) for the stack.

    Fresh each run, so that table sizes left by an earlier run do not skew this one.
    """
    if stack.redis_url:
        subprocess.run(
            ["redis-cli", "-n", "9", "FLUSHDB"], check=True, capture_output=True
        )
    if stack.database_url.startswith("sqlite"):
        path = Path(stack.database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        for sql in (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{PG_BENCH_DB}'",
            f"DROP DATABASE IF EXISTS {PG_BENCH_DB}",
            f"CREATE DATABASE {PG_BENCH_DB}",
        ):
            subprocess.run(
                ["psql", PG_ADMIN_URL, "-qtAc", sql], check=True, capture_output=True
            )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=PROJECT_DIR,
        env={**os.environ, **stack.env},
        check=True,
        timeout=300,
    )


def server_args(kind: str, port: int, profile_to: Path | None) -> list[str]:
    """The interpreter's arguments for a server of `kind` ("daphne" or "uvicorn")."""
    app = "bench.asgi:application"
    if kind == "daphne":
        args = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app]
    elif kind == "uvicorn":
        args = [
            "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--no-access-log", "--log-level", "warning", "--lifespan", "off", app,
        ]  # fmt: skip
    else:
        raise ValueError(f"unknown server {kind!r}")
    if profile_to is not None:
        args = ["-m", "pyinstrument", "-r", "text", "-o", str(profile_to), *args]
    return args


def server_for(
    stack: Stack, kind: str = "daphne", profile_to: Path | None = None
) -> ServerProcess:
    """A server of `kind` on the stack, as a context manager.

    Stopped with SIGINT so pyinstrument writes its report; a profiled server gets
    longer, since rendering the report takes a while.
    """
    port = free_port()
    return ServerProcess(
        env=stack.env,
        port=port,
        args=server_args(kind, port, profile_to),
        stop_signal=signal.SIGINT,
        stop_timeout=120 if profile_to else 20,
        start_timeout=60,
    )


def run_client(
    stack: Stack,
    scenario: str,
    params: dict[str, Any],
    timeout: float = CLIENT_TIMEOUT,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run `python -m bench.client <scenario>` and return the JSON it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.client", scenario, json.dumps(params)],
        cwd=PROJECT_DIR,
        env={**os.environ, **stack.env, **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"client {scenario} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def open_client(
    stack: Stack, scenario: str, params: dict[str, Any]
) -> subprocess.Popen:
    """Start a client that talks a line protocol on stdin/stdout (idle sockets)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.client", scenario, json.dumps(params)],
        cwd=PROJECT_DIR,
        env={**os.environ, **stack.env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
