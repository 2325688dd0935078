"""Pagination of the session and approval lists: cursors, stable while rows
are added or change."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class TimestampCursorPagination(CursorPagination):
    """Cursors over a list ordered by a timestamp, then the id (which orders
    equal timestamps the same way on every page, as DRF's cursor needs to step
    past them by offset)."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request: Request) -> Cursor | None:
        """A malformed cursor is bad input (400), not a missing page (DRF's 404)
        nor a 500: DRF checks the offset but hands the position, a timestamp
        here, to the database as it came."""
        invalid = ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        if cursor is not None and not _is_timestamp(cursor.position):
            raise invalid
        return cursor


def _is_timestamp(position: str | None) -> bool:
    try:
        return position is None or parse_datetime(position) is not None
    except ValueError:  # well formed, but no such date
        return False


class SessionCursorPagination(TimestampCursorPagination):
    """Newest activity first. A session that gets new activity moves to the
    front, behind a client already paging onwards: the walk neither repeats it
    nor shifts the others, as offset pages would."""

    ordering = ("-last_activity", "-id")
    page_size = 20


class ApprovalCursorPagination(TimestampCursorPagination):
    """Newest request first: an inbox of 10,000 pending approvals reads one page."""

    ordering = ("-requested_at", "-id")
    page_size = 50
