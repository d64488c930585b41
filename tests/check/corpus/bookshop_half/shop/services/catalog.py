# ruff: noqa
"""Half migrated: the view is async, but this helper still uses psycopg2."""

from __future__ import annotations

from typing import Any

import psycopg2
from psycopg2.extras import RealDictCursor

BOOK_SELECT = "SELECT b.id, b.title, b.isbn FROM books b"


def slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def _fetch_one(dsn: str, query: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    with psycopg2.connect(dsn) as conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def get_book(dsn: str, book_id: int) -> dict[str, Any] | None:
    book = _fetch_one(dsn, BOOK_SELECT + " WHERE b.id = %s", (book_id,))
    if book is not None:
        book["slug"] = slug(book["title"])
    return book
