# ruff: noqa
"""Database drivers in async def: flake8-async does not know them."""

import sqlite3

import psycopg2


async def count(dsn: str) -> int:
    conn = psycopg2.connect(dsn)  # flake8-async misses
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM books")  # flake8-async misses
    conn.commit()  # flake8-async misses
    lite = sqlite3.connect("x.db")  # flake8-async misses
    lite.execute("SELECT 1")  # flake8-async misses
    return 0
