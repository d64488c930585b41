# ruff: noqa
from __future__ import annotations

from typing import Any

from shop import db

BOOK_SELECT = "SELECT b.id, b.title, b.isbn FROM books b"


def slug(title: str) -> str:
    return title.lower().replace(" ", "-")


async def get_book(pool, book_id: int) -> dict[str, Any] | None:
    book = await db.fetch_one(pool, BOOK_SELECT + " WHERE b.id = $1", book_id)
    if book is not None:
        book["slug"] = slug(book["title"])
    return book
