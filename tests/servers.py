"""Real server processes for tests: daphne on a free loopback port.

Fault and multi-instance tests need a process they can SIGKILL or SIGTERM, so these
run the app exactly as production does, in a child process, against the same
database as the test (passed through the environment).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PROJECT_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """A server child process serving agentsite on 127.0.0.1:`port`.

    `args` are the interpreter's arguments (default: daphne on the app); the
    benchmarks pass their own (uvicorn, pyinstrument) and stop with SIGINT.
    """

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    args: list[str] | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 10.0
    start_timeout: float = 30.0
    process: subprocess.Popen | None = None
    log: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile())  # noqa: SIM115

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        args = self.args or [
            "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
            "agentsite.asgi:application",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT_DIR,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: nobody drains a pipe, and a full one blocks the server.
            stderr=self.log,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited early: " + self.log_tail())
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"server on port {self.port} did not answer in {self.start_timeout}s: "
            + self.log_tail()
        )

    def log_tail(self, size: int = 3000) -> str:
        """The end of the server's log (stderr)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def rss_kb(self) -> int:
        """Resident memory of the server process, from /proc."""
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def children(self) -> dict[int, str]:
        """The server's child processes (its MCP servers): pid -> command line."""
        assert self.process is not None
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:
                    command = (stat.parent / "cmdline").read_bytes().decode()
                    found[int(stat.parent.name)] = command.replace("\0", " ").strip()
            except (OSError, IndexError, ValueError):
                continue  # a process that ended while we looked
        return found

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def screenshot_dir() -> Path:
    """Where tests save screenshots: `docs/screenshots/` (linked from the README)
    with UPDATE_SCREENSHOTS=1, else `var/screenshots/`, so an ordinary test run
    leaves the committed pictures alone."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = PROJECT_DIR / "docs" / "screenshots"
    else:
        folder = PROJECT_DIR / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
