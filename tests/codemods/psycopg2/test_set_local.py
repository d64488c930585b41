"""``SET LOCAL name = %s`` in a psycopg2 cursor block (ASY301): a bound parameter there is a
syntax error for asyncpg, and outside psycopg2's implicit transaction SET LOCAL does nothing.
The rewrite uses ``set_config(name, $1, true)`` inside ``async with conn.transaction()`` for
read-only blocks, and leaves a block that also writes as it was. Both versions run on the real
PostgreSQL: the setting holds for the block's queries and is gone after it, as before."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
from typing import Any

import psycopg2
import pytest

from asyncify.codemods import transform

RECIPE = ["ASY306", "ASY305", "ASY303", "ASY301", "ASY302", "ASY304"]

SOURCE = """
import psycopg2

async def report(conn, timeout):
    with conn.cursor() as cur:
        cur.execute("SET LOCAL statement_timeout = %s", (timeout,))
        cur.execute("SELECT current_setting('statement_timeout')")
        inside = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM generate_series(1, 10)")
        count = cur.fetchone()[0]
    return inside, count
"""

WRITES = """
import psycopg2

async def touch(conn, timeout):
    with conn.cursor() as cur:
        cur.execute("SET LOCAL lock_timeout = %s", (timeout,))
        cur.execute("UPDATE t SET a = 1")
"""


def run(source: str) -> Any:
    return transform("example.py", textwrap.dedent(source).encode(), RECIPE)


def test_a_block_that_writes_is_left_with_a_todo() -> None:
    outcome = run(WRITES)
    new = outcome.new.decode()
    assert "# TODO[asyncify ASY301]: SET LOCAL in a block that also writes" in new
    assert 'cur.execute("SET LOCAL lock_timeout = %s", (timeout,))' in new
    assert run(new).status == "unchanged"


def test_the_rewrite_and_what_it_does(sample_harness: Any, postgres_dsn: str) -> None:
    import asyncpg

    outcome = run(SOURCE)
    new = outcome.new.decode()
    assert "    async with conn.transaction():\n" in new
    assert ('await conn.execute("SELECT set_config(\'statement_timeout\', $1, true)", '
            "str(timeout))") in new
    assert "TODO" not in new
    assert run(new).status == "unchanged"

    legacy: dict[str, Any] = {}
    exec(textwrap.dedent(SOURCE).replace("async def", "def"), legacy)
    migrated: dict[str, Any] = {}
    exec(new, migrated)
    with sample_harness.temporary_database(postgres_dsn, "setlocal") as url:
        with contextlib.closing(psycopg2.connect(url)) as conn:
            expected = [legacy["report"](conn, "2500ms"), legacy["report"](conn, 3000)]
            conn.rollback()  # what the pool's putconn path did
            with conn.cursor() as cur:
                cur.execute("SHOW statement_timeout")
                after = cur.fetchone()[0]

        async def converted() -> tuple[list[Any], str]:
            aconn = await asyncpg.connect(url)
            try:
                got = [await migrated["report"](aconn, "2500ms"),
                       await migrated["report"](aconn, 3000)]
                return got, await aconn.fetchval("SHOW statement_timeout")
            finally:
                await aconn.close()

        got, after_async = asyncio.run(converted())
    assert got == expected == [("2500ms", 10), ("3s", 10)]
    assert after_async == after == "0"


@pytest.mark.parametrize("query", [
    "SET statement_timeout = %s",  # session-wide: asyncpg's pool resets it on release
    "SET LOCAL search_path = %s, public",
])
def test_other_set_statements_keep_their_todo(query: str) -> None:
    source = SOURCE.replace("SET LOCAL statement_timeout = %s", query)
    new = run(source).new.decode()
    assert "# TODO[asyncify ASY306]: parameters in a utility statement" in new
    assert f'cur.execute("{query}", (timeout,))' in new
