"""ASY606: a blocking database driver call directly in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY606",
    name="blocking-db-in-async",
    summary="Blocking database call (psycopg2, sqlite3, sync SQLAlchemy) directly in async def.",
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
    ),
    invalid=(
        Example('''
import sqlite3
import psycopg2

async def stats(cur):
    db = sqlite3.connect("stats.db")  # flagged
    cur.execute("SELECT 1")  # flagged
''', "a psycopg2 project's `cur.execute` counts even when the cursor's type is unknown"),
    ),
    find=direct("ASY606"),
))
