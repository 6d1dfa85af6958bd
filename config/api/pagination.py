"""Cursor pagination: stable pages over large, changing lists (no COUNT, no deep OFFSET)."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # Newest first by id: unique and never changes, so a cursor stays valid while rows are added.
    ordering = "-id"
