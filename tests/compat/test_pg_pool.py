"""``compat.db_pool``: one asyncpg pool per event loop, created on first use with psycopg2's
JSON behaviour, closed with its loop — and ``pg_args`` inlining strings as psycopg2 did. All on
the real PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from asyncify.compat import close_db_pool, create_db_pool, db_pool, pg_args, set_db_pool


def test_each_loop_gets_its_own_pool_closed_with_the_loop(postgres_dsn: str) -> None:
    pools: list[Any] = []

    async def use() -> Any:
        first, second = await asyncio.gather(
            db_pool(postgres_dsn, min_size=1, max_size=2),
            db_pool(postgres_dsn, min_size=1, max_size=2))
        assert first is second  # concurrent first requests share one pool
        assert await db_pool() is first  # later calls need no arguments
        pools.append(first)
        # json/jsonb come back as Python objects, as with psycopg2.
        return await first.fetchval("SELECT $1::jsonb", {"a": [1, 2]})

    assert asyncio.run(use()) == {"a": [1, 2]}
    assert asyncio.run(use()) == {"a": [1, 2]}
    assert pools[0] is not pools[1]  # a second loop never reuses the first loop's pool
    assert all(pool.is_closing() for pool in pools)  # closed when their loop shut down


def test_a_loop_in_another_thread_does_not_share_the_pool(postgres_dsn: str) -> None:
    """The bridge's background loop and the server's loop each get one (the bug a module
    global had: "another operation is in progress")."""
    results: list[Any] = []

    async def use() -> None:
        pool = await db_pool(postgres_dsn, min_size=1, max_size=1)
        results.append((pool, await pool.fetchval("SELECT 1")))

    thread = threading.Thread(target=asyncio.run, args=(use(),))
    thread.start()
    asyncio.run(use())
    thread.join()
    assert [value for _, value in results] == [1, 1]
    assert results[0][0] is not results[1][0]


def test_a_lifespan_pool_wins_and_closes(postgres_dsn: str) -> None:
    async def lifespan() -> None:
        pool = await create_db_pool(postgres_dsn, min_size=1, max_size=1)
        set_db_pool(pool)
        assert await db_pool(postgres_dsn, min_size=5, max_size=5) is pool
        await close_db_pool()
        assert pool.is_closing()
        with pytest.raises(RuntimeError, match="no database pool for this event loop"):
            await db_pool()

    asyncio.run(lifespan())


def test_strings_are_inlined_as_psycopg2_did(postgres_dsn: str) -> None:
    """psycopg2 rendered ``'1'`` into the SQL, where the server read it as an integer;
    asyncpg binds a typed ``$1`` and would raise DataError for the str."""
    query = "SELECT %s::text AS t, 2 = %s AS n, %s + 0 AS q, %s = ANY(ARRAY[1, 2]) AS tup"
    args = pg_args(query, ("it's \\ here", "2", 5, "1"))
    assert args == (
        "SELECT E'it''s \\\\ here'::text AS t, 2 = '2' AS n, $1 + 0 AS q, "
        "'1' = ANY(ARRAY[1, 2]) AS tup", 5)

    async def run() -> Any:
        pool = await db_pool(postgres_dsn, min_size=1, max_size=1)
        return dict(await pool.fetchrow(*args))

    assert asyncio.run(run()) == {"t": "it's \\ here", "n": True, "q": 5, "tup": True}
    named = pg_args("SELECT %(a)s = 1 AND %(a)s::int = %(b)s", {"a": "1", "b": 1})
    assert named == ("SELECT '1' = 1 AND '1'::int = $1", 1)


def test_a_released_connection_is_handled_as_psycopg2_putconn(postgres_dsn: str) -> None:
    """psycopg2's pool and the asyncpg pool side by side, one connection each: a session
    setting survives putting the connection back, an open transaction does not (rolled back,
    its row gone); ``reset=None`` restores asyncpg's own reset."""
    from psycopg2.pool import ThreadedConnectionPool

    legacy = ThreadedConnectionPool(1, 1, postgres_dsn)
    try:
        conn = legacy.getconn()
        with conn.cursor() as cur:
            cur.execute("SET application_name = 'kept'")
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS t_release (x int)")
            conn.commit()
            cur.execute("INSERT INTO t_release VALUES (1)")  # left open
        legacy.putconn(conn)
        conn = legacy.getconn()
        with conn.cursor() as cur:
            cur.execute("SHOW application_name")
            legacy_name = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM t_release")
            legacy_rows = cur.fetchone()[0]
        legacy.putconn(conn)
    finally:
        legacy.closeall()

    async def released(**options: Any) -> tuple[str, int]:
        pool = await create_db_pool(postgres_dsn, min_size=1, max_size=1, **options)
        try:
            async with pool.acquire() as conn:
                await conn.execute("SET application_name = 'kept'")
                await conn.execute("CREATE TEMP TABLE IF NOT EXISTS t_release (x int)")
                transaction = conn.transaction()
                await transaction.start()
                await conn.execute("INSERT INTO t_release VALUES (1)")  # left open
            async with pool.acquire() as conn:
                return (await conn.fetchval("SHOW application_name"),
                        await conn.fetchval("SELECT count(*) FROM t_release"))
        finally:
            await pool.close()

    assert (legacy_name, legacy_rows) == ("kept", 0)
    assert asyncio.run(released()) == ("kept", 0)
    assert asyncio.run(released(reset=None))[0] != "kept"  # asyncpg's RESET ALL
