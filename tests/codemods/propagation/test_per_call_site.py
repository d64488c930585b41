"""Await propagation decided per call site: a function turns async only when the rules
converted every blocking call in it, not merely when they *can* convert its operations.

Each case is a small project run through ``apply_recipe(..., propagate=True)`` (the public API
under ``asyncify apply --recipe … --propagate``). The "stays sync" cases first, each with the
reason: the code is untouched except for one ``ASY901`` marker above the function saying why;
then rewrites. Every output parses and a second run over it changes nothing."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from asyncify.api import apply_recipe

SESSION = """
    import requests
    from urllib3.util import Retry
    from requests.adapters import HTTPAdapter


    class Rates:
        def __init__(self):
            self.session = requests.Session()
            self.session.mount("http://", HTTPAdapter(max_retries=Retry(total=3)))

        def rate(self, url):
            try:
                return self.session.get(url, timeout=2).json()
            except requests.RequestException:
                return None
"""

STAYS_SYNC = [
    pytest.param("requests-to-httpx", SESSION,
                 "a requests.Session the rules keep (a Retry object) still blocks: its method "
                 "stays def, with no worker thread and its except clause untouched",
                 id="kept-session"),
    pytest.param("psycopg2-to-asyncpg", """
        from psycopg2.extensions import connection


        def audit(conn: connection, book_id):
            with conn.cursor() as cur:
                print(cur.mogrify("SELECT %s", (book_id,)))
                cur.execute("SELECT %s", (book_id,))
    """, "cur.mogrify has no asyncpg form: the cursor block, and so the function, stay sync",
                 id="mogrify"),
    pytest.param("psycopg2-to-asyncpg", """
        from psycopg2.extensions import connection


        def stats(conn: connection, timeout):
            with conn.cursor() as cur:
                cur.execute("SET statement_timeout = %s", (timeout,))
                cur.execute("SELECT count(*) FROM books")
                return cur.fetchone()[0]
    """, "a parameter in SET is a syntax error for asyncpg (and a session SET does not survive "
         "asyncpg's pool release): kept sync, not half-converted",
                 id="set-parameter"),
    pytest.param("psycopg2-to-asyncpg", """
        from psycopg2 import sql
        from psycopg2.extensions import connection


        def count(conn: connection, table, value):
            with conn.cursor() as cur:
                cur.execute(sql.SQL("SELECT count(*) FROM {} WHERE v = {}").format(
                    sql.Identifier(table), sql.Literal(value)))
                return cur.fetchone()[0]
    """, "a psycopg2.sql.Literal of a type compat cannot quote would fail at run time",
                 id="psycopg2-sql-literal"),
]

TRANSFORMED = [
    pytest.param("psycopg2-to-asyncpg", """
        from psycopg2.extensions import connection


        def audit(conn: connection, book_id):
            with conn.cursor() as cur:
                print(cur.mogrify("SELECT %s", (book_id,)))
                cur.execute("SELECT %s", (book_id,))


        def title(conn: connection, book_id):
            with conn.cursor() as cur:
                cur.execute("SELECT title FROM books WHERE id = %s", (book_id,))
                return cur.fetchone()[0]


        def both(conn: connection):
            audit(conn, 1)
            return title(conn, 1)
    """, """
        from psycopg2.extensions import connection


        # TODO[asyncify ASY901]: stays sync: ASY301 left blocking code in it: cur.mogrify has no asyncpg equivalent (parameters are bound server-side) — https://asyncify.readthedocs.io/en/latest/rules/#asy901
        def audit(conn: connection, book_id):
            with conn.cursor() as cur:
                print(cur.mogrify("SELECT %s", (book_id,)))
                cur.execute("SELECT %s", (book_id,))


        async def title(conn: connection, book_id):
            return (await conn.fetchrow("SELECT title FROM books WHERE id = $1", book_id))[0]


        def both(conn: connection):
            audit(conn, 1)
            return run_async(title, conn, 1)
    """, id="one-kept-one-converted"),
    pytest.param("requests-to-httpx", SESSION.replace("def rate", "async def rate"), """
        import requests
        from urllib3.util import Retry
        from requests.adapters import HTTPAdapter
        import asyncio


        class Rates:
            def __init__(self):
                # TODO[asyncify ASY205]: requests.Session kept (HTTPAdapter(max_retries=...) at line 9 is not an int (a Retry object?): httpx retries connect errors only, with no backoff, status or Retry-After handling); its calls in async code run in a worker thread — https://asyncify.readthedocs.io/en/latest/rules/#asy205
                self.session = requests.Session()
                self.session.mount("http://", HTTPAdapter(max_retries=Retry(total=3)))

            async def rate(self, url):
                try:
                    # TODO[asyncify ASY204]: this session stays a requests.Session (the ASY205 TODO at line 8 says why): the call runs in a worker thread until the session is ported by hand — https://asyncify.readthedocs.io/en/latest/rules/#asy204
                    return (await asyncio.to_thread(self.session.get, url, timeout=2)).json()
                except requests.RequestException:
                    return None
    """, id="already-async-kept-session-keeps-its-except"),
    pytest.param("requests-to-httpx", """
        import requests


        class Rates:
            def __init__(self):
                self.session = requests.Session()
                self.session.hooks["response"].append(print)

            async def rate(self, url):
                try:
                    base = requests.get(url + "/base", timeout=2).json()
                    return self.session.get(url, timeout=2).json(), base
                except requests.Timeout:
                    return None
    """, """
        import requests
        import asyncio
        import httpx
        from asyncify.compat import http_client


        class Rates:
            def __init__(self):
                # TODO[asyncify ASY205]: requests.Session kept (session.hooks (line 7): httpx event hooks must be async def and cannot replace the response); its calls in async code run in a worker thread — https://asyncify.readthedocs.io/en/latest/rules/#asy205
                self.session = requests.Session()
                self.session.hooks["response"].append(print)

            async def rate(self, url):
                try:
                    base = (await http_client().get(url + "/base", timeout=2, follow_redirects=True)).json()
                    # TODO[asyncify ASY204]: this session stays a requests.Session (the ASY205 TODO at line 6 says why): the call runs in a worker thread until the session is ported by hand — https://asyncify.readthedocs.io/en/latest/rules/#asy204
                    return (await asyncio.to_thread(self.session.get, url, timeout=2)).json(), base
                except (requests.Timeout, httpx.TimeoutException):
                    return None
    """, id="mixed-try-catches-both"),
]


def _run(tmp_path: Path, recipe: str, source: str) -> tuple[str, str]:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    target = root / "example.py"
    target.write_text(textwrap.dedent(source).lstrip("\n"))
    run = apply_recipe([target], recipe, root=root, write=True, allow_dirty=True,
                       propagate=True)
    assert all(o.status in ("changed", "unchanged") for o in run.outcomes), run.outcomes
    return run.outcomes[0].status, target.read_text()


@pytest.mark.parametrize(("recipe", "source", "why"), STAYS_SYNC)
def test_stays_sync(tmp_path: Path, recipe: str, source: str, why: str) -> None:
    status, text = _run(tmp_path, recipe, source)
    assert status == "changed"
    lines = text.splitlines(keepends=True)
    markers = [line for line in lines if "TODO[asyncify" in line]
    assert len(markers) == 1 and "# TODO[asyncify ASY901]: stays sync: " in markers[0], text
    assert "left blocking code in it" in markers[0]
    assert "".join(line for line in lines if line not in markers) == textwrap.dedent(
        source).lstrip("\n"), why
    assert "async def" not in text and "to_thread" not in text
    ast.parse(text)
    assert _run(tmp_path, recipe, text) == ("unchanged", text)


@pytest.mark.parametrize(("recipe", "source", "expected"), TRANSFORMED)
def test_transformed(tmp_path: Path, recipe: str, source: str, expected: str) -> None:
    status, text = _run(tmp_path, recipe, source)
    assert status == "changed"
    expected = textwrap.dedent(expected).lstrip("\n")
    if "run_async(" in expected:
        expected = expected.replace(
            "from psycopg2.extensions import connection\n",
            "from psycopg2.extensions import connection\nfrom asyncify.bridge import run_async\n",
            1)
    assert text == expected
    ast.parse(text)
    assert _run(tmp_path, recipe, text) == ("unchanged", text)
