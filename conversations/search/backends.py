"""The two databases' full-text indexes behind one shape of query.

Each backend turns parsed terms into its own query and returns the SQL of the
matches, newest first, as (id, score) with a higher score better:
PostgreSQL's `ts_rank` over the generated `tsv` column (GIN-indexed), SQLite's
negated `bm25` over the FTS5 table, whose `owner_id` column lets the index
itself intersect a user's entries with the words' (migration 0011 makes both).
"""

from __future__ import annotations

from typing import Any, Protocol

from conversations.search.text import Term

ENTRIES = "conversations_searchentry"
COLUMNS = ("session_id", "seq", "owner_id", "type", "ts", "body")
# One entry's insert, the same for every writer (the index follows by itself).
INSERT = (
    f"INSERT INTO {ENTRIES} ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
)
FTS = "conversations_search_fts"


class Backend(Protocol):
    key: str  # the matches' id column, to bound and order them by

    def matches(self, owner_id: Any, terms: list[Term]) -> tuple[str, list[Any]]:
        """SQL of (id, score) of the entries matching, of `owner_id` (None:
        everyone's); the caller bounds and orders it."""
        ...

    def compaction(self) -> str | None:
        """SQL that rewrites the index without the text of deleted entries,
        where the index keeps it until then."""
        ...


class Postgres:
    config = "english"
    key = "id"

    def _query(self, terms: list[Term]) -> str:
        """The terms as `websearch_to_tsquery` reads them: only words, quotes
        and minus signs reach it, so any input is a valid query."""
        return " ".join(
            ("-" if term.excluded else "")
            + (f'"{" ".join(term.words)}"' if len(term.words) > 1 else term.words[0])
            for term in terms
        )

    def matches(self, owner_id: Any, terms: list[Term]) -> tuple[str, list[Any]]:
        owned = "" if owner_id is None else "owner_id = %s AND "
        sql = (
            f"SELECT id, ts_rank(tsv, q) AS score FROM {ENTRIES}, "
            f"websearch_to_tsquery('{self.config}', %s) q WHERE {owned}tsv @@ q"
        )
        params = [self._query(terms)] + ([] if owner_id is None else [owner_id])
        return sql, params

    def compaction(self) -> str | None:
        return None  # a deleted row's tsvector is gone from every read at once


class Sqlite:
    key = "rowid"

    def _query(self, owner_id: Any, terms: list[Term]) -> str:
        phrase = [f'"{" ".join(t.words)}"' for t in terms if not t.excluded]
        excluded = [f'"{" ".join(t.words)}"' for t in terms if t.excluded]
        body = "(" + " AND ".join(phrase) + ")"
        if excluded:
            body = f"({body} NOT ({' OR '.join(excluded)}))"
        text = f"body : {body}"
        return text if owner_id is None else f'owner_id : "{int(owner_id)}" AND {text}'

    def matches(self, owner_id: Any, terms: list[Term]) -> tuple[str, list[Any]]:
        sql = (
            f"SELECT rowid AS id, -bm25({FTS}, 1.0, 0.0) AS score FROM {FTS} "
            f"WHERE {FTS} MATCH %s"
        )
        return sql, [self._query(owner_id, terms)]

    def compaction(self) -> str | None:
        # FTS5 marks deleted entries in new segments and keeps the old ones,
        # words included, until they are merged: 'optimize' merges them all.
        return f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')"


def backend(vendor: str) -> Backend:
    return Postgres() if vendor == "postgresql" else Sqlite()
