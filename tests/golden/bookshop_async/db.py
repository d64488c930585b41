# Async twin of bookshop.db, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""PostgreSQL access through one ThreadedConnectionPool per process.

The pool is created on first use, from the app config, so that each gunicorn worker opens
its own connections after the fork.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from asyncify.compat import db_pool, dict_row, dict_rows, pg_args
from flask import current_app
from psycopg2.extensions import connection as Connection
from psycopg2.pool import ThreadedConnectionPool

from bookshop.db import (  # noqa: F401  (unchanged by the twin: re-exported)
    execute,
    init_app,
    init_db_command,
)

Params = Sequence[Any] | dict[str, Any] | None

SQL_DIR = Path(__file__).resolve().parent.parent

_pool: ThreadedConnectionPool | None = None
_pool_lock = threading.Lock()


async def get_pool() -> ThreadedConnectionPool:
    # TODO[asyncify ASY104]: current_app: use asyncify.compat.current_config() or request.app.state — https://asyncify.readthedocs.io/en/latest/rules/#asy104
    config = current_app.config
    return await db_pool(dsn=config["DATABASE_URL"], min_size=config["DB_POOL_MIN"], max_size=config["DB_POOL_MAX"])


@asynccontextmanager
async def connection() -> Iterator[Connection]:
    """Borrow a pooled connection. Work not committed by the caller is rolled back."""
    pool = await get_pool()
    async with pool.acquire() as conn:
        yield conn


async def fetch_all(query: Any, params: Params = None) -> list[dict[str, Any]]:
    async with connection() as conn:
        return dict_rows(await conn.fetch(*pg_args(query, params)))


async def fetch_one(query: Any, params: Params = None) -> dict[str, Any] | None:
    async with connection() as conn:
        return dict_row(await conn.fetchrow(*pg_args(query, params)))


async def fetch_value(query: Any, params: Params = None) -> Any:
    async with connection() as conn:
        return (await conn.fetchrow(*pg_args(query, params)))[0]
