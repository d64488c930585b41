# ruff: noqa
"""The asyncpg pool, created by the app's lifespan (a hand-written async twin of bookshop.db)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

_pool: asyncpg.Pool | None = None
_pool_lock = asyncio.Lock()


async def get_pool(dsn: str) -> asyncpg.Pool:
    global _pool
    async with _pool_lock:
        if _pool is None:
            _pool = await asyncpg.create_pool(dsn)
    return _pool


@asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as conn:
        yield conn


async def fetch_all(pool: asyncpg.Pool, query: str, *args: Any) -> list[dict[str, Any]]:
    async with connection(pool) as conn:
        return [dict(r) for r in await conn.fetch(query, *args)]


async def fetch_one(pool: asyncpg.Pool, query: str, *args: Any) -> dict[str, Any] | None:
    async with connection(pool) as conn:
        row = await conn.fetchrow(query, *args)
        return dict(row) if row is not None else None
