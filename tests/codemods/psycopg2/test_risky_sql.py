"""Risky SQL in the psycopg2 → asyncpg rewrite (ASY301/ASY306): text built from values is never
silently made into parameters (a TODO says so, and ``asyncify check`` ASY640 flags it);
``callproc`` becomes the ``SELECT * FROM f($1, …)`` psycopg2 itself ran; several statements
without parameters go through ``execute`` (asyncpg's simple protocol), with parameters they are
left as they were. No-op cases first, then rewrites (parsed, second run unchanged), then both
versions run on the real PostgreSQL and compared."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import textwrap
from typing import Any

import psycopg2
import pytest

from asyncify.codemods import transform

RECIPE = ["ASY306", "ASY305", "ASY303", "ASY301", "ASY302", "ASY304"]
LINK = "https://asyncify.readthedocs.io/en/latest/rules/#"
SPLICED = ("the values are spliced into the text, as before (not made parameters: that could "
           "change what the query means); an injection risk — pass them as parameters")


def run(source: str) -> Any:
    return transform("example.py", textwrap.dedent(source).encode(), RECIPE)


NOOP = [
    pytest.param("""
        import psycopg2

        def find(conn, title):
            with conn.cursor() as cur:
                cur.execute(f"SELECT id FROM books WHERE title = '{title}'")
                return cur.fetchall()
    """, id="sync-code"),
]
NOOP_WHY = {"sync-code": "sync code keeps psycopg2 (propagation decides what turns async)"}

TRANSFORMED = [
    pytest.param("""
        import psycopg2

        async def find(conn, title):
            with conn.cursor() as cur:
                cur.execute(f"SELECT id FROM books WHERE title = '{title}'")
                return cur.fetchall()
    """, f"""
        import psycopg2
        from asyncify.compat import tuple_rows

        async def find(conn, title):
            # TODO[asyncify ASY306]: SQL built by an f-string: {SPLICED} — {LINK}asy306
            return tuple_rows(await conn.fetch(f"SELECT id FROM books WHERE title = '{{title}}'"))
    """, id="f-string"),
    pytest.param("""
        import psycopg2

        async def drop(conn, table, ids):
            with conn.cursor() as cur:
                cur.execute("DELETE FROM %s" % table)
                cur.execute("DELETE FROM t WHERE id IN (" + ",".join(ids) + ")")
    """, f"""
        import psycopg2

        async def drop(conn, table, ids):
            # TODO[asyncify ASY306]: SQL built by %-formatting: {SPLICED} — {LINK}asy306
            await conn.execute("DELETE FROM %s" % table)
            # TODO[asyncify ASY306]: SQL built by concatenation (','.join(ids)): {SPLICED} — {LINK}asy306
            await conn.execute("DELETE FROM t WHERE id IN (" + ",".join(ids) + ")")
    """, id="percent-and-concatenation"),
    pytest.param("""
        import psycopg2

        BOOKS = "SELECT id FROM books"

        async def book(conn, book_id):
            with conn.cursor() as cur:
                cur.execute(BOOKS + " WHERE id = %s", (book_id,))
                return cur.fetchone()
    """, """
        import psycopg2
        from asyncify.compat import pg_args, tuple_row

        BOOKS = "SELECT id FROM books"

        async def book(conn, book_id):
            return tuple_row(await conn.fetchrow(*pg_args(BOOKS + " WHERE id = %s", (book_id,))))
    """, id="constant-concatenation-no-todo"),
    pytest.param("""
        import psycopg2

        async def add(conn, a, b):
            with conn.cursor() as cur:
                cur.callproc("add_ints", (a, b))
                return cur.fetchone()
    """, """
        import psycopg2
        from asyncify.compat import tuple_row

        async def add(conn, a, b):
            return tuple_row(await conn.fetchrow('SELECT * FROM add_ints($1, $2)', a, b))
    """, id="callproc"),
    pytest.param("""
        import psycopg2

        async def named(conn):
            with conn.cursor() as cur:
                cur.callproc("add_ints", {"b": 2, "a": 1})
                return cur.fetchall()
    """, """
        import psycopg2
        from asyncify.compat import tuple_rows

        async def named(conn):
            return tuple_rows(await conn.fetch('SELECT * FROM add_ints(b := $1, a := $2)', 2, 1))
    """, id="callproc-named"),
    pytest.param("""
        import psycopg2

        async def setup(conn):
            with conn.cursor() as cur:
                cur.execute("CREATE TEMP TABLE n (x int); INSERT INTO n VALUES (1), (2)")
    """, """
        import psycopg2

        async def setup(conn):
            await conn.execute("CREATE TEMP TABLE n (x int); INSERT INTO n VALUES (1), (2)")
    """, id="several-statements"),
    pytest.param("""
        import psycopg2

        async def setup(conn, v):
            with conn.cursor() as cur:
                cur.execute("INSERT INTO n VALUES (%s); INSERT INTO n VALUES (3)", (v,))
    """, f"""
        import psycopg2

        async def setup(conn, v):
            # TODO[asyncify ASY301]: several SQL statements with parameters: asyncpg prepares the query, and a prepared statement holds one command; split it into one execute per statement — {LINK}asy301
            with conn.cursor() as cur:
                cur.execute("INSERT INTO n VALUES (%s); INSERT INTO n VALUES (3)", (v,))
    """, id="several-statements-with-parameters"),
]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source: str, request: pytest.FixtureRequest) -> None:
    assert run(source).status == "unchanged", NOOP_WHY[request.node.callspec.id]


@pytest.mark.parametrize(("source", "expected"), TRANSFORMED)
def test_transformed(source: str, expected: str) -> None:
    outcome = run(source)
    assert outcome.status == "changed", outcome.reason
    new = outcome.new.decode()
    assert new == textwrap.dedent(expected)
    ast.parse(new)
    assert run(new).status == "unchanged"


def _functions(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<fixture>", "exec"), namespace)
    return namespace


DIFFERENTIAL = ["callproc", "callproc-named", "several-statements"]


def test_psycopg2_and_asyncpg_agree(sample_harness: Any, postgres_dsn: str) -> None:
    import asyncpg

    cases = {p.id: p.values[0] for p in TRANSFORMED if p.id in DIFFERENTIAL}
    ddl = ("CREATE FUNCTION add_ints(a int, b int) RETURNS TABLE (s int, d int) "
           "LANGUAGE sql AS 'SELECT a + b, a - b'")
    with sample_harness.temporary_database(postgres_dsn, "riskysql") as url:
        with contextlib.closing(psycopg2.connect(url)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(ddl)
            legacy = _functions(textwrap.dedent(cases["callproc"]).replace("async def", "def"))
            named = _functions(textwrap.dedent(cases["callproc-named"]).replace("async def",
                                                                                "def"))
            setup = _functions(textwrap.dedent(cases["several-statements"]).replace(
                "async def", "def"))
            setup["setup"](conn)
            with conn.cursor() as cur:
                cur.execute("SELECT x FROM n ORDER BY x")
                rows = cur.fetchall()
            expected = [legacy["add"](conn, 5, 3), named["named"](conn), rows]

        converted = {name: _functions(run(cases[name]).new.decode()) for name in cases}

        async def migrated() -> list[Any]:
            conn = await asyncpg.connect(url)
            try:
                await converted["several-statements"]["setup"](conn)
                rows = [tuple(r) for r in await conn.fetch("SELECT x FROM n ORDER BY x")]
                return [await converted["callproc"]["add"](conn, 5, 3),
                        await converted["callproc-named"]["named"](conn), rows]
            finally:
                await conn.close()

        assert asyncio.run(migrated()) == expected == [(8, 2), [(3, -1)], [(1,), (2,)]]
