"""Pagination of the session list: cursors, stable while sessions change."""

from rest_framework.pagination import CursorPagination


class SessionCursorPagination(CursorPagination):
    """Newest activity first; the id breaks ties so no session is skipped or repeated."""

    ordering = ("-last_activity", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
