"""PostgreSQL access through one ThreadedConnectionPool per process.

The pool is created on first use, from the app config, so that each gunicorn worker opens
its own connections after the fork.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from psycopg2.extensions import connection as Connection
from psycopg2.extras import RealDictCursor
from psycopg2.pool import ThreadedConnectionPool

Params = Sequence[Any] | dict[str, Any] | None

SQL_DIR = Path(__file__).resolve().parent.parent

_pool: ThreadedConnectionPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> ThreadedConnectionPool:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                config = current_app.config
                _pool = ThreadedConnectionPool(
                    config["DB_POOL_MIN"], config["DB_POOL_MAX"], dsn=config["DATABASE_URL"]
                )
    return _pool


@contextmanager
def connection() -> Iterator[Connection]:
    """Borrow a pooled connection. Work not committed by the caller is rolled back."""
    pool = get_pool()
    conn = pool.getconn()
    try:
        yield conn
    finally:
        conn.rollback()
        pool.putconn(conn)


def fetch_all(query: Any, params: Params = None) -> list[dict[str, Any]]:
    with connection() as conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def fetch_one(query: Any, params: Params = None) -> dict[str, Any] | None:
    with connection() as conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def fetch_value(query: Any, params: Params = None) -> Any:
    with connection() as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def execute(query: Any, params: Params = None) -> int:
    """Run one write statement in its own transaction; returns the affected row count."""
    with connection() as conn:
        with conn.cursor() as cur:
            cur.execute(query, params)
            count = cur.rowcount
        conn.commit()
        return count


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)


@click.command("init-db")
@click.option("--seed/--no-seed", default=True, help="Also load seed.sql (empties the tables).")
def init_db_command(seed: bool) -> None:
    """Create the tables from schema.sql (and load seed.sql)."""
    files = ["schema.sql", "seed.sql"] if seed else ["schema.sql"]
    with connection() as conn:
        with conn.cursor() as cur:
            for name in files:
                cur.execute((SQL_DIR / name).read_text(encoding="utf-8"))
        conn.commit()
    click.echo(f"loaded {', '.join(files)}")
