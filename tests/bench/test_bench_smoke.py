"""The benchmark suite still runs: every scenario on tiny sizes, embedded stack.

The figures of a smoke run mean nothing; this only keeps `make bench` from rotting
as the product changes under it (a renamed URL, a new required field, a changed
frame).
"""

import subprocess
import sys

import pytest

from tests.servers import PROJECT_DIR

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_bench_runs_on_tiny_sizes(tmp_path):
    output = tmp_path / "benchmarks.md"
    command = [
        sys.executable, "-m", "bench", "--smoke", "--stacks", "embedded",
        "--only",
        "stream,users,fanout,big,idle,latency,approvals,forks,agui,mcp,search",
        "--sqlite", str(tmp_path / "bench.sqlite3"), "--output", str(output),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text()
    for scenario in (
        "1 store+stream",
        "2 many users",
        "3 no silent loss",
        "8 approvals",
        "10 agui vs sse",
        "12 search, budgets",
        "11 mcp tools",
    ):
        assert scenario in text
    assert "received transcripts equal to stored | 3/3" in text
    assert "streams covering every stored event of their run | 10/10" in text
    assert "runs that succeeded with every call's result | 4/4" in text
    assert "| sqlite+memory | 4 big sessions |" in text  # machine speed bracket
