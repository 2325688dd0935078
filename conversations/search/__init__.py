"""Full-text search over transcripts, on PostgreSQL and on SQLite.

Every event with searchable text (`text.SEARCHED_TYPES`) gets a `SearchEntry`
in the transaction that stores it (`index_rows`, called by the one append of
events), and the database's own index follows the entry: a generated
`tsvector` with a GIN index, or an FTS5 table kept by triggers. Entries go
with their session.

A search ranks the newest `WINDOW` matches best first (so a word in half of a
million events costs the same as a rare one) and pages through them with an
opaque cursor that pins the window to the entries stored before the first
page, so events stored meanwhile neither repeat nor push out a hit. (SQLite's
bm25 weighs a word by how rare it is in the whole index, so the cursor holds
the position in the window, not the last score, which new entries move.)
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL

from conversations.models import EventRow, SearchEntry
from conversations.search.backends import ENTRIES, INSERT, backend
from conversations.search.text import BadQuery, Term, parse, snippet, text_of

__all__ = [
    "BadQuery",
    "Hit",
    "forget_deleted",
    "hits",
    "index_rows",
    "parse",
    "sessions_matching",
]

WINDOW = 1000


@dataclass(frozen=True)
class Hit:
    id: int
    session_id: Any
    seq: int
    type: str
    ts: datetime
    snippet: str
    highlights: list[tuple[int, int]]


def index_rows(rows: list[EventRow], owner_id: Any, connection: Any) -> None:
    """Add the searchable rows of a batch of events to the index, in the
    caller's transaction."""
    entries = [(row, text_of(row.type, row.data)) for row in rows]
    entries = [(row, body) for row, body in entries if body]
    if not entries:
        return
    field = SearchEntry._meta.get_field
    session = field("session").get_db_prep_value(entries[0][0].session_id, connection)
    values = [
        (
            session,
            row.seq,
            owner_id,
            row.type,
            field("ts").get_db_prep_value(row.ts, connection),
            body,
        )
        for row, body in entries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(INSERT, values)


def hits(
    owner_id: Any, query: str, cursor: str | None = None, limit: int = 20
) -> tuple[list[Hit], str | None]:
    """A page of the best hits of `query` in `owner_id`'s transcripts (None:
    everyone's), and the cursor of the next page (None at the end).
    Raises `BadQuery` for a query without words or a cursor that is not one."""
    terms = parse(query)
    top, offset = _decode(cursor)
    connection = connections[DEFAULT_DB_ALIAS]
    engine = backend(connection.vendor)
    matches, params = engine.matches(owner_id, terms)
    key = engine.key
    bound = "" if top is None else f" AND {key} <= %s"
    sql = (
        f"WITH m AS ({matches}{bound} ORDER BY {key} DESC LIMIT {WINDOW}) "
        f"SELECT e.id, e.session_id, e.seq, e.type, e.ts, e.body, m.score, "
        f"(SELECT MAX(id) FROM m) FROM m JOIN {ENTRIES} e ON e.id = m.id "
        f"ORDER BY m.score DESC, m.id DESC LIMIT %s OFFSET %s"
    )
    params = [*params, *([] if top is None else [top])]
    with connection.cursor() as db:
        db.execute(sql, [*params, limit + 1, offset])
        rows = db.fetchall()
    session_field = SearchEntry._meta.get_field("session")
    ts_field = SearchEntry._meta.get_field("ts")
    found = []
    for entry_id, session_id, seq, kind, ts, body, _, window_top in rows[:limit]:
        text, marks = snippet(body, terms)
        found.append(
            Hit(
                entry_id,
                session_field.to_python(session_id),
                seq,
                kind,
                _aware(ts_field.to_python(ts)),
                text,
                marks,
            )
        )
        top = top if top is not None else window_top
    more = len(rows) > limit
    return found, (_encode(top, offset + limit) if more else None)


def forget_deleted() -> None:
    """Make the index let go of deleted entries' words now (erasure, purge),
    not at some later merge."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql = backend(connection.vendor).compaction()
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def sessions_matching(owner_id: Any, query: str) -> RawSQL:
    """The ids of sessions with a hit of `query` (`owner_id`'s, or everyone's
    for None), for a `pk__in` filter."""
    terms: list[Term] = parse(query)
    engine = backend(connections[DEFAULT_DB_ALIAS].vendor)
    matches, params = engine.matches(owner_id, terms)
    return RawSQL(
        f"SELECT e.session_id FROM {ENTRIES} e WHERE e.id IN "
        f"(SELECT m.id FROM ({matches}) m)",
        params,
    )


def _aware(ts: datetime) -> datetime:
    """SQLite hands raw SQL its times as naive UTC text."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _encode(top: int, offset: int) -> str:
    raw = json.dumps([top, offset]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[int | None, int]:
    if not cursor:
        return None, 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        top, offset = json.loads(raw)
        if not all(type(n) is int and n >= 0 for n in (top, offset)):
            raise ValueError
        return top, min(offset, WINDOW)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadQuery("Invalid cursor.") from None
