"""Indexing events stored before search existed (migration 0011), batch by
batch, reading the events' columns with plain SQL so the migration does not
depend on the models as they are later."""

from __future__ import annotations

import json
from typing import Any

from conversations.search.backends import INSERT
from conversations.search.text import SEARCHED_TYPES, text_of

BATCH = 5000


def rebuild(connection: Any) -> int:
    """Index every stored event with searchable text; return how many."""
    kinds = ", ".join(["%s"] * len(SEARCHED_TYPES))
    select = (
        "SELECT e.id, e.session_id, e.seq, e.type, e.data, e.ts, s.owner_id "
        "FROM conversations_event e JOIN conversations_chatsession s "
        f"ON s.id = e.session_id WHERE e.type IN ({kinds}) AND e.id > %s "
        f"ORDER BY e.id LIMIT {BATCH}"
    )
    done, last = 0, 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [*SEARCHED_TYPES, last])
            rows = cursor.fetchall()
            if not rows:
                return done
            last = rows[-1][0]
            values = []
            for _, session, seq, kind, data, ts, owner in rows:
                body = text_of(
                    kind, json.loads(data) if isinstance(data, str) else data
                )
                if body:
                    values.append((session, seq, owner, kind, ts, body))
            if values:
                cursor.executemany(INSERT, values)
            done += len(values)
