"""On PostgreSQL, many open streams and concurrent requests hold a bounded number
of database connections, and the site keeps answering, during and after."""

import asyncio
import socket
import urllib.request

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from tests.factories import new_session
from tests.servers import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POOL_SIZE = 8


@database_sync_to_async
def database_connections() -> int:
    """Connections to the test database other than this test's own (this test
    process's database threads keep theirs: measure growth from a baseline)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def open_stream(port: int, session_id, token: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        f"GET /api/sessions/{session_id}/stream/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {token}\r\n\r\n".encode()
    )
    return sock


def get(url: str, token: str | None = None) -> int:
    headers = {"Authorization": f"Token {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


async def test_eighty_streams_and_forty_requests_hold_a_bounded_pool(
    server_env, alice, alice_token
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's connections (runs in the PostgreSQL + Redis pass)")
    session = await database_sync_to_async(new_session)(alice)
    env = {**server_env, "DATABASE_POOL_SIZE": str(POOL_SIZE)}
    before = await database_connections()
    with ServerProcess(env=env) as server:
        streams = [open_stream(server.port, session.id, alice_token) for _ in range(80)]
        for sock in streams:  # each has its headers: it is open and streaming
            assert b"200 OK" in sock.recv(4096)
        api = f"{server.base_url}/api/sessions/"
        statuses = await asyncio.gather(
            *(asyncio.to_thread(get, api, alice_token) for _ in range(40))
        )
        assert statuses == [200] * 40
        assert await asyncio.to_thread(get, f"{server.base_url}/healthz") == 200
        during = await database_connections() - before
        assert during <= POOL_SIZE, during  # the server's whole pool, at most
        for sock in streams:
            sock.close()
        await asyncio.sleep(1)
        assert await asyncio.to_thread(get, f"{server.base_url}/healthz") == 200
        assert await database_connections() - before <= POOL_SIZE
