"""ASY606: a blocking database driver call directly in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY606",
    name="blocking-db-in-async",
    summary="Blocking database call (psycopg2, sqlite3, sync SQLAlchemy) directly in async "
            "def, including a lazy ORM relationship read, which runs a SELECT.",
    flake8_async="",
    before=Example('''
import psycopg2

async def count_books(dsn):
    conn = psycopg2.connect(dsn)  # flagged
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM books")  # flagged
    return cur.fetchone()[0]  # flagged
'''),
    after=Example('''
import asyncpg

async def count_books(dsn):
    conn = await asyncpg.connect(dsn)
    return await conn.fetchval("SELECT count(*) FROM books")
''', "asyncpg calls are awaited"),
    valid=(
        Example('''
async def count_books(pool):
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM books")
''', "awaited calls on an unknown receiver are async APIs"),
        Example('''
# file: shop/models.py
from sqlalchemy.orm import DeclarativeBase, Mapped, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    books: Mapped[list["Book"]] = relationship(lazy="selectin")

# file: shop/views.py
from .models import Author


async def count_books(author: Author):
    return len(author.books)
''', "`lazy=\"selectin\"` loaded the relationship with the author: reading it runs no query"),
    ),
    invalid=(
        Example('''
import sqlite3
import psycopg2

async def stats(cur):
    db = sqlite3.connect("stats.db")  # flagged
    cur.execute("SELECT 1")  # flagged
''', "a psycopg2 project's `cur.execute` counts even when the cursor's type is unknown"),
        Example('''
# file: shop/models.py
from sqlalchemy.orm import DeclarativeBase, Mapped, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    books: Mapped[list["Book"]] = relationship(back_populates="author")

# file: shop/views.py
from .models import Author


async def count_books(author: Author):
    return len(author.books)  # flagged
''', "a lazy relationship (the default `lazy=\"select\"`) runs a SELECT on first read; "
           "under an `AsyncSession` it raises `MissingGreenlet`"),
    ),
    find=direct("ASY606"),
))
