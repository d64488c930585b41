# Async twin of bookshop.services.catalog, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Books and authors in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg2 import sql

from bookshop_async import db

BOOK_SELECT = """
    SELECT b.id, b.isbn, b.title, b.list_price, b.stock, b.published_on, b.metadata,
           b.updated_at, a.id AS author_id, a.name AS author_name
    FROM books b
    JOIN authors a ON a.id = b.author_id
"""

SORTABLE = {"title": "title", "price": "list_price", "published": "published_on"}


async def get_book(book_id: int) -> dict[str, Any] | None:
    return await db.fetch_one(BOOK_SELECT + " WHERE b.id = %s", (book_id,))


async def books_by_ids(book_ids: Iterable[int]) -> list[dict[str, Any]]:
    ids = tuple(book_ids)
    if not ids:
        return []
    return await db.fetch_all(BOOK_SELECT + " WHERE b.id IN %s ORDER BY b.id", (ids,))


async def all_books() -> list[dict[str, Any]]:
    return await db.fetch_all(BOOK_SELECT + " ORDER BY b.id")


async def list_books(
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
    rows = await db.fetch_all(
        sql.SQL(
            "{select} {where} ORDER BY {column}, b.id LIMIT %(limit)s OFFSET %(offset)s"
        ).format(
            select=sql.SQL(BOOK_SELECT), where=where, column=sql.Identifier("b", SORTABLE[sort])
        ),
        params,
    )
    total = await db.fetch_value(
        sql.SQL("SELECT count(*) FROM books b {where}").format(where=where), params
    )
    return rows, total


async def create_author(name: str, email: str | None, country: str | None) -> int:
    async with db.connection() as conn:
        async with conn.transaction():
            author_id = (await conn.fetchrow(
                "INSERT INTO authors (name, email, country) VALUES ($1, $2, $3) RETURNING id",
                name,
                email,
                country,
            ))[0]
    return author_id
