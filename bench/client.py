"""The load generator: `python -m bench.client <scenario> '<json params>'`.

A separate process from both the orchestrator and the server, so the server's
event loop is measured alone. It sets up Django only to make fixtures and read
back the stored transcript for the checks; the load itself goes over real
sockets. It prints one JSON line: the scenario's raw results.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys


def raise_file_limit() -> None:
    """Thousands of sockets need thousands of descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20_000)), hard))


def main(argv: list[str]) -> None:
    import django

    scenario, params = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    raise_file_limit()
    django.setup()
    module_name, _, entry_name = scenario.partition(".")
    entry = getattr(
        importlib.import_module(f"bench.{module_name}"), f"client_{entry_name}"
    )
    print(json.dumps(entry(params)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
