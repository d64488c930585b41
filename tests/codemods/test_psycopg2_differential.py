"""psycopg2 vs the rewritten asyncpg code, on the real PostgreSQL.

Each snippet is an ``async def case(db)`` written with psycopg2. The legacy run executes it as
a plain ``def`` on a psycopg2 connection; the migrated run executes what
``psycopg2-to-asyncpg`` made of it, awaited, on an asyncpg connection with the compat
json/jsonb codecs. Both start from the same fresh tables in a throwaway schema; their return
values and the tables' final contents must be equal, or the migrated code must carry the
expected TODO. No skip: an unreachable database fails the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import psycopg2
import pytest

from asyncify.codemods import select, transform
from asyncify.compat import init_db_connection

DSN = os.environ.get("ASYNCIFY_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = """
CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE NOT NULL, price int NOT NULL,
                    tags jsonb, stamp timestamptz);
INSERT INTO items (name, price, tags) VALUES
    ('apple', 3, '{"color": "red"}'), ('banana', 2, '["yellow"]'), ('cherry', 7, NULL),
    ('100% juice', 5, NULL);
"""


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"asy_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(DSN)  # no skip: an unreachable database is a failure
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA {name} CASCADE")
        admin.close()


def keyword_dsn() -> str:
    """The test DSN in libpq key=value form (which asyncpg itself rejects)."""
    url = urlsplit(DSN)
    parts = {"host": url.hostname, "port": url.port, "user": url.username,
             "password": url.password, "dbname": url.path.lstrip("/")}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def reset(schema: str) -> None:
    connection = psycopg2.connect(DSN, options=f"-c search_path={schema}")
    with contextlib.closing(connection) as c, c, c.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS items")
        cur.execute(TABLES)


def contents(schema: str) -> list[tuple[Any, ...]]:
    connection = psycopg2.connect(DSN, options=f"-c search_path={schema}")
    with contextlib.closing(connection) as c, c.cursor() as cur:
        cur.execute("SELECT id, name, price, tags FROM items ORDER BY id")
        return cur.fetchall()


class LegacyDb:
    """What the snippets get as ``db`` on the legacy side."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.dsn = keyword_dsn()
        self.options = f"-c search_path={schema}"
        self.conn = psycopg2.connect(DSN, options=self.options)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        try:
            yield self.conn
        finally:
            self.conn.rollback()  # like bookshop.db.connection(): uncommitted work is lost


class MigratedDb:
    def __init__(self, schema: str, conn: asyncpg.Connection) -> None:
        self.schema = schema
        self.dsn = keyword_dsn()
        self.options = f"-c search_path={schema}"
        self.conn = conn

    @contextlib.contextmanager
    def connection(self) -> Iterator[asyncpg.Connection]:
        yield self.conn


def migrate(source: str) -> Any:
    return transform("snippet.py", source.encode(), select("psycopg2-to-asyncpg"))


def run_legacy(source: str, schema: str) -> Any:
    reset(schema)
    namespace: dict[str, Any] = {}
    legacy = source.replace("async def", "def").replace("await ", "")
    exec(compile(legacy, "legacy", "exec"), namespace)
    db = LegacyDb(schema)
    try:
        return namespace["case"](db), contents(schema)
    finally:
        db.conn.close()


def run_migrated(source: str, schema: str) -> Any:
    outcome = migrate(source)
    assert outcome.status == "changed", outcome.reason
    assert outcome.todos == [], [t.message for t in outcome.todos]
    reset(schema)
    namespace: dict[str, Any] = {}
    exec(compile(outcome.new, "migrated", "exec"), namespace)

    async def main() -> Any:
        conn = await asyncpg.connect(DSN, server_settings={"search_path": schema})
        await init_db_connection(conn)
        try:
            return await namespace["case"](MigratedDb(schema, conn))
        finally:
            await conn.close()

    return asyncio.run(main()), contents(schema)


CASES = {
    "placeholders positional, named with reuse, %% with and without params": """
import psycopg2
async def case(db):
    conn = db.conn
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM items WHERE price > %s AND name <> %s ORDER BY name",
                    (2, "cherry"))
        first = cur.fetchall()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM items WHERE price >= %(p)s OR price * 2 = %(p)s "
                    "OR name LIKE %(n)s || '%%'", {"p": 6, "n": "ban"})
        second = cur.fetchone()[0]
    with conn.cursor() as cur:
        cur.execute("SELECT '100%%', name FROM items WHERE name LIKE '100%%'")
        third = cur.fetchone()
    with conn.cursor() as cur:
        cur.execute("SELECT '100%%', %s::text", ("x",))
        fourth = cur.fetchone()
    return first, second, tuple(third), tuple(fourth)
""",
    "dynamic queries through the runtime translator": """
import psycopg2
from psycopg2.extras import RealDictCursor
async def fetch_all(db, query, params=None):
    with db.connection() as conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(query, params)
        return cur.fetchall()
async def case(db):
    base = "SELECT name, price FROM items"
    a = await fetch_all(db, base + " WHERE price < %(p)s OR price = %(p)s + 5 ORDER BY id",
                        {"p": 3})
    b = await fetch_all(db, base + " WHERE id IN %s ORDER BY id", ((1, 3),))
    c = await fetch_all(db, base + " WHERE name LIKE '100%%' ORDER BY id")
    return a, b, c
""",
    "transaction whose second statement fails (with conn:)": """
import psycopg2
async def case(db):
    conn = db.conn
    try:
        with conn:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO items (name, price) VALUES (%s, %s)", ("kiwi", 1))
                cur.execute("INSERT INTO items (name, price) VALUES (%s, %s)", ("kiwi", 2))
    except psycopg2.IntegrityError as exc:
        return "integrity", exc.pgcode, exc.diag.constraint_name
    return "no error"
""",
    "try / commit / except rollback, second statement fails": """
import psycopg2
import psycopg2.errors
async def place(db, name):
    with db.connection() as conn:
        try:
            with conn.cursor() as cur:
                cur.execute("UPDATE items SET price = price + 1 WHERE name = %s", ("apple",))
                cur.execute("INSERT INTO items (name, price) VALUES (%s, %s)", (name, 1))
            conn.commit()
        except Exception:
            conn.rollback()
            raise
async def case(db):
    await place(db, "kiwi")
    try:
        await place(db, "banana")
    except psycopg2.errors.UniqueViolation:
        return "duplicate"
""",
    "commit at the end of the connection's block": """
import psycopg2
async def case(db):
    with db.connection() as conn:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO items (name, price) VALUES (%s, %s) RETURNING id",
                        ("kiwi", 9))
            new_id = cur.fetchone()[0]
        conn.commit()
    return new_id
""",
    "RealDictCursor rows are dicts": """
import json
import psycopg2
from psycopg2.extras import RealDictCursor
async def case(db):
    conn = db.conn
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT name, price FROM items WHERE id = %s", (1,))
        row = cur.fetchone()
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT name, price FROM items ORDER BY id")
        rows = cur.fetchall()
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT name FROM items WHERE id = %s", (999,))
        missing = cur.fetchone()
    row["seen"] = True
    return isinstance(row, dict), row, json.dumps(rows), list(rows[0]), missing
""",
    "IN and NOT IN lists": """
import psycopg2
async def case(db):
    conn = db.conn
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM items WHERE id IN %s ORDER BY id", ((1, 3, 99),))
        inside = [r[0] for r in cur.fetchall()]
    with conn.cursor() as cur:
        cur.execute("SELECT name FROM items WHERE name NOT IN %(names)s ORDER BY id",
                    {"names": ("apple", "banana")})
        outside = [r[0] for r in cur.fetchall()]
    return inside, outside
""",
    "JSONB round trip": """
import psycopg2
from psycopg2.extras import Json
async def case(db):
    conn = db.conn
    with conn:
        with conn.cursor() as cur:
            cur.execute("UPDATE items SET tags = %s WHERE name = %s",
                        (Json({"color": "green", "n": [1, 2]}), "apple"))
            cur.execute("UPDATE items SET tags = %(t)s WHERE name = 'banana'",
                        {"t": '{"as": "text"}'})
    with conn.cursor() as cur:
        cur.execute("SELECT tags FROM items ORDER BY id")
        return [r[0] for r in cur.fetchall()]
""",
    "rowcount of UPDATE and DELETE": """
import psycopg2
async def case(db):
    conn = db.conn
    with conn:
        with conn.cursor() as cur:
            cur.execute("UPDATE items SET price = price * 2 WHERE price < %s", (6,))
            updated = cur.rowcount
            cur.execute("DELETE FROM items WHERE price > %s", (100,))
            none_deleted = cur.rowcount
            cur.execute("DELETE FROM items WHERE name = %s", ("cherry",))
            if cur.rowcount != 1:
                raise RuntimeError("expected one row")
    return updated, none_deleted
""",
    "executemany, execute_batch and execute_values": """
import psycopg2
from psycopg2.extras import execute_batch, execute_values
async def case(db):
    conn = db.conn
    with conn:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO items (name, price) VALUES (%s, %s)",
                            [("fig", 1), ("grape", 2)])
            execute_batch(cur, "UPDATE items SET price = %(p)s WHERE name = %(n)s",
                          [{"p": 10, "n": "fig"}, {"p": 20, "n": "grape"}])
            execute_values(cur, "INSERT INTO items (name, price) VALUES %s",
                           [("kiwi", 4), ("lime", 5), ("mango", 6)], page_size=2)
    return "ok"
""",
    "a pool: ThreadedConnectionPool, getconn/putconn, libpq DSN": """
import psycopg2
from psycopg2.pool import ThreadedConnectionPool
async def case(db):
    pool = ThreadedConnectionPool(1, 2, db.dsn, options=db.options)
    try:
        conn = pool.getconn()
        try:
            with conn:
                with conn.cursor() as cur:
                    cur.execute("UPDATE items SET price = 0 WHERE id = %s", (2,))
            with conn.cursor() as cur:
                cur.execute("SELECT name, price, tags FROM items WHERE id = %s", (1,))
                row = cur.fetchone()
        finally:
            conn.rollback()
            pool.putconn(conn)
    finally:
        pool.closeall()
    return tuple(row)
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_and_state(schema: str, name: str) -> None:
    source = CASES[name]
    legacy = run_legacy(source, schema)
    assert run_migrated(source, schema) == legacy


TODO_CASES = {
    "params in SET": ("""
import psycopg2
async def case(db):
    with db.conn.cursor() as cur:
        cur.execute("SET statement_timeout = %s", ("5s",))
""", "ASY306", "utility statement"),
    "lastrowid": ("""
import psycopg2
async def case(db):
    with db.conn.cursor() as cur:
        cur.execute("INSERT INTO items (name, price) VALUES ('x', 1)")
        return cur.lastrowid
""", "ASY301", "lastrowid"),
    "commit on a connection from the caller": ("""
import psycopg2
async def case(db):
    conn = db.conn
    with conn.cursor() as cur:
        cur.execute("DELETE FROM items")
    conn.commit()
""", "ASY302", "unit of work"),
    "naive datetime into timestamptz": ("""
import psycopg2
from datetime import datetime
async def case(db):
    with db.conn.cursor() as cur:
        cur.execute("UPDATE items SET stamp = %s", (datetime(2024, 1, 1, 12),))
""", "ASY306", "naive datetime"),
    "string for an integer column": ("""
import psycopg2
async def case(db):
    with db.conn.cursor() as cur:
        cur.execute("SELECT name FROM items WHERE id = %s", ("1",))
        return cur.fetchone()
""", "ASY306", "string-typed"),
}


@pytest.mark.parametrize("name", sorted(TODO_CASES))
def test_differences_are_flagged(schema: str, name: str) -> None:
    """Where asyncpg would behave differently, the migrated code carries the TODO (and the
    legacy code runs, so the snippet is a real psycopg2 program)."""
    source, rule, words = TODO_CASES[name]
    run_legacy(source, schema)
    outcome = migrate(source)
    assert [t.rule for t in outcome.todos] == [rule]
    assert words in outcome.todos[0].message
    assert f"# TODO[asyncify {rule}]" in outcome.new.decode()

