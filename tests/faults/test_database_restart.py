"""PostgreSQL restarting mid-run: retried with a bound, nothing half-written."""

import subprocess
from pathlib import Path

import pytest
from django.db import connection

from conversations.models import Event, Run
from tests.factories import new_session
from tests.faults.test_server_crash import wait_for
from tests.live_client import post_message
from tests.servers import ServerProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.services,
    pytest.mark.disruptive(order=2),  # after the Redis outage test: it uses the DB
    pytest.mark.django_db(transaction=True),
]


def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=60,
    )


def run_status(run_id) -> str:
    try:
        return Run.objects.get(pk=run_id).status
    except Exception:  # the test's own connection died with the restart
        connection.close()
        return "unknown"


def test_postgres_restart_mid_run_completes_or_fails_cleanly_and_server_keeps_serving(
    server_env, alice, alice_token
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "restarts the PostgreSQL server (runs in the PostgreSQL + Redis pass)"
        )
    session = new_session(alice, "math")
    server = ServerProcess(env={**server_env, "AGENT_STEP_DELAY": "0.3"}).start()
    try:
        accepted = post_message(
            server, session.id, alice_token, "what is ((3 + 4) * 5) - 6?"
        )
        wait_for(
            lambda: Event.objects.filter(session=session, type="tool_call").exists()
        )
        restart_postgres()
        connection.close()
        wait_for(lambda: run_status(accepted["run"]) in Run.FINISHED, timeout=60)

        run = Run.objects.get(pk=accepted["run"])
        events = list(
            Event.objects.for_session(session.id).values_list("seq", "type", "data")
        )
        assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
        finished = [data for _, kind, data in events if kind == "run_finished"]
        assert len(finished) == 1 and finished[0]["status"] == run.status
        assert run.status in {"succeeded", "failed"}
        if run.status == "failed":
            assert run.error

        again = post_message(server, session.id, alice_token, "add 2 and 2")
        wait_for(lambda: run_status(again["run"]) == "succeeded", timeout=30)
    finally:
        server.stop()
