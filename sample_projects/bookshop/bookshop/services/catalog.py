"""Books and authors in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg2 import sql

from .. import db

BOOK_SELECT = """
    SELECT b.id, b.isbn, b.title, b.list_price, b.stock, b.published_on, b.metadata,
           b.updated_at, a.id AS author_id, a.name AS author_name
    FROM books b
    JOIN authors a ON a.id = b.author_id
"""

SORTABLE = {"title": "title", "price": "list_price", "published": "published_on"}


def get_book(book_id: int) -> dict[str, Any] | None:
    return db.fetch_one(BOOK_SELECT + " WHERE b.id = %s", (book_id,))


def books_by_ids(book_ids: Iterable[int]) -> list[dict[str, Any]]:
    ids = tuple(book_ids)
    if not ids:
        return []
    return db.fetch_all(BOOK_SELECT + " WHERE b.id IN %s ORDER BY b.id", (ids,))


def all_books() -> list[dict[str, Any]]:
    return db.fetch_all(BOOK_SELECT + " ORDER BY b.id")


def list_books(
    *,
    page: int,
    per_page: int,
    author_id: str | None = None,
    query: str | None = None,
    sort: str = "title",
) -> tuple[list[dict[str, Any]], int]:
    """One page of books plus the total count; ``sort`` must be a key of SORTABLE."""
    conditions = []
    params: dict[str, Any] = {"limit": per_page, "offset": (page - 1) * per_page}
    if author_id is not None:
        conditions.append("b.author_id = %(author_id)s")
        params["author_id"] = author_id
    if query:
        conditions.append("b.title ILIKE '%%' || %(query)s || '%%'")
        params["query"] = query
    where = sql.SQL("WHERE " + " AND ".join(conditions) if conditions else "")
    rows = db.fetch_all(
        sql.SQL(
            "{select} {where} ORDER BY {column}, b.id LIMIT %(limit)s OFFSET %(offset)s"
        ).format(
            select=sql.SQL(BOOK_SELECT), where=where, column=sql.Identifier("b", SORTABLE[sort])
        ),
        params,
    )
    total = db.fetch_value(
        sql.SQL("SELECT count(*) FROM books b {where}").format(where=where), params
    )
    return rows, total


def create_author(name: str, email: str | None, country: str | None) -> int:
    with db.connection() as conn:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO authors (name, email, country) VALUES (%s, %s, %s) RETURNING id",
                (name, email, country),
            )
            author_id = cur.fetchone()[0]
        conn.commit()
    return author_id
