"""Every tab hears of a new version: a fork made anywhere sends a live-only
`versions` frame to the owner's sockets on any session of that family, and to
no other socket."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from conversations.engine.service import fork
from tests.api.conftest import store_exchange
from tests.conversations.wsclient import open_socket
from tests.factories import anew_session

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_fork_is_announced_to_the_familys_sockets_only(alice, alice_token):
    original = await anew_session(alice, "math")
    unrelated = await anew_session(alice, "math")
    await database_sync_to_async(store_exchange)(original)
    on_original, _ = await open_socket(original.id, alice_token)
    on_unrelated, _ = await open_socket(unrelated.id, alice_token)
    first = await fork(original.id, 7)
    assert await on_original.receive_json_from(timeout=5) == {
        "type": "versions",
        "session": str(first.pk),
    }
    on_fork, _ = await open_socket(first.pk, alice_token)
    second = await fork(first.pk, 0)  # a fork of the fork: the same family
    for ws in (on_original, on_fork):
        frame = await ws.receive_json_from(timeout=5)
        assert frame == {"type": "versions", "session": str(second.pk)}
    assert await on_unrelated.receive_nothing(timeout=0.3)
    for ws in (on_original, on_fork, on_unrelated):
        await ws.disconnect()
