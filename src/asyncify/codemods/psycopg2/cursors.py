"""ASY301: ``with conn.cursor() as cur:`` blocks in async code → asyncpg calls on ``conn``.

``cur.execute(q, p)`` + ``cur.fetchone()`` → ``await conn.fetchrow(q2, *p)``; + ``fetchall()``
or ``for row in cur`` → ``await conn.fetch(...)``; alone → ``await conn.execute(...)``, whose
status string gives ``cur.rowcount`` (``compat.rowcount``). Placeholders are renumbered
(``%s``, ``%(name)s`` with reuse, ``%%`` only when params were passed, ``IN %s`` →
``= ANY($n)``); dynamic queries go through ``compat.pg_args`` at run time. ``RealDictCursor``
rows become dicts (``dict_row``/``dict_rows``); default rows returned to callers become tuples.
``executemany``/``execute_batch`` → ``conn.executemany``; ``execute_values`` →
``compat.execute_values``. The connection expression is reused as the asyncpg connection.
Never half-converted: any other use of the cursor (``lastrowid``, ``mogrify``, ``fetchmany``,
a cursor passed on or stored, a named cursor) leaves the block as it was, with a TODO.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._block import Cursor, Rows, convert, uses, why
from ._query import Unsupported, lines

_FACTORIES: dict[str, Rows | None] = {
    "psycopg2.extras.RealDictCursor": "dict", "psycopg2.extras.DictCursor": "record",
    "psycopg2.extras.NamedTupleCursor": None,
}
_BULK = {"psycopg2.extras.execute_batch": "execute_batch",
         "psycopg2.extras.execute_values": "execute_values"}


@register
class CursorBlocks(Rule):
    id = "ASY301"
    title = ("with conn.cursor() as cur: blocks inside async code become awaited asyncpg "
             "fetch/fetchrow/execute calls on the connection, with $n placeholders")
    gate = frozenset({"psycopg2"})
    triggers = frozenset({"cursor("})
    examples = (
        Example(
            "import psycopg2\n\ndef title(conn, book_id):\n    with conn.cursor() as cur:\n"
            "        cur.execute('SELECT title FROM books WHERE id = %s', (book_id,))\n"
            "        return cur.fetchone()[0]\n",
            "import psycopg2\n\ndef title(conn, book_id):\n    with conn.cursor() as cur:\n"
            "        cur.execute('SELECT title FROM books WHERE id = %s', (book_id,))\n"
            "        return cur.fetchone()[0]\n",
            why="sync code keeps psycopg2 (await propagation decides what turns async)",
        ),
        Example(
            "import asyncpg\nimport psycopg2\n\nasync def names(conn):\n"
            "    async with conn.transaction():\n"
            "        async for row in conn.cursor('SELECT name FROM t'):\n"
            "            print(row['name'])\n",
            "import asyncpg\nimport psycopg2\n\nasync def names(conn):\n"
            "    async with conn.transaction():\n"
            "        async for row in conn.cursor('SELECT name FROM t'):\n"
            "            print(row['name'])\n",
            why="asyncpg's own conn.cursor(query) is not a psycopg2 cursor",
        ),
        Example(
            "import psycopg2\n\nasync def last_id(conn):\n    with conn.cursor() as cur:\n"
            "        cur.execute('INSERT INTO t (a) VALUES (1)')\n        return cur.lastrowid\n",
            "import psycopg2\n\nasync def last_id(conn):\n"
            "    # TODO[asyncify ASY301]: cur.lastrowid is an OID (0 for ordinary tables) in "
            "psycopg2: use INSERT … RETURNING id and fetchval — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy301\n"
            "    with conn.cursor() as cur:\n"
            "        cur.execute('INSERT INTO t (a) VALUES (1)')\n        return cur.lastrowid\n",
        ),
        Example(
            "from psycopg2.extras import RealDictCursor\n\nasync def book(conn, book_id):\n"
            "    with conn.cursor(cursor_factory=RealDictCursor) as cur:\n"
            "        cur.execute('SELECT * FROM books WHERE id = %s', (book_id,))\n"
            "        return cur.fetchone()\n",
            "from psycopg2.extras import RealDictCursor\nfrom asyncify.compat import dict_row\n\n"
            "async def book(conn, book_id):\n"
            "    return dict_row(await conn.fetchrow('SELECT * FROM books WHERE id = $1', "
            "book_id))\n",
        ),
        Example(
            "import psycopg2\n\nasync def take(conn, book_id, qty):\n"
            "    with conn.cursor() as cur:\n"
            "        cur.execute(\n            'UPDATE books SET stock = stock - %(qty)s '\n"
            "            'WHERE id = %(id)s AND stock >= %(qty)s',\n"
            "            {'id': book_id, 'qty': qty},\n        )\n"
            "        if cur.rowcount != 1:\n            raise ValueError(book_id)\n",
            "import psycopg2\nfrom asyncify.compat import rowcount\n\n"
            "async def take(conn, book_id, qty):\n"
            "    pg_status = await conn.execute('UPDATE books SET stock = stock - $1 '\n"
            "        'WHERE id = $2 AND stock >= $1', qty, book_id)\n"
            "    if rowcount(pg_status) != 1:\n        raise ValueError(book_id)\n",
        ),
        Example(
            "import psycopg2\n\nasync def titles(conn, ids):\n    with conn.cursor() as cur:\n"
            "        cur.execute('SELECT title FROM books WHERE id IN %s', (tuple(ids),))\n"
            "        for (title,) in cur:\n            print(title)\n",
            "import psycopg2\n\nasync def titles(conn, ids):\n"
            "    for (title,) in await conn.fetch('SELECT title FROM books WHERE id = ANY($1)', "
            "tuple(ids)):\n        print(title)\n",
        ),
    )

    def leave_With(self, original: cst.With, updated: cst.With) -> (
            cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]):
        if not self.p.in_async():
            return updated
        found = [(n, item) for n, item in enumerate(updated.items) if self._is_cursor(item)]
        if not found:
            return updated
        try:
            if len(found) > 1:
                raise Unsupported("several cursors in one with statement")
            index, item = found[0]
            cursor = self._cursor(item)
            if not isinstance(updated.body, cst.IndentedBlock):
                raise Unsupported("a one-line with-block")
            body = convert(cursor, updated.body.body)
            if any(uses(statement, cursor.name) for statement in body):
                raise Unsupported(why(cst.IndentedBlock(body), cursor.name))
        except Unsupported as exc:
            self.p.todo(self.id, original, str(exc))
            return updated
        for message in cursor.todos:
            self.p.todo(self.id, original, message)
        self.p.changed(self.id)
        rest = [i for n, i in enumerate(updated.items) if n != index]
        if rest:
            rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(items=rest, body=updated.body.with_changes(body=body))
        first = body[0].with_changes(leading_lines=[*updated.leading_lines, *lines(body[0])])
        return cst.FlattenSentinel([first, *body[1:]])

    def _is_cursor(self, item: cst.WithItem) -> bool:
        call = item.item
        return (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "cursor"
                and not any(isinstance(a.value, cst.SimpleString) for a in call.args))

    def _cursor(self, item: cst.WithItem) -> Cursor:
        call = item.item
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        if item.asname is None or not isinstance(item.asname.name, cst.Name):
            raise Unsupported("a cursor block without 'as name'")
        rows: Rows | None = "tuple"
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value != "cursor_factory":
                raise Unsupported("a named (server-side) cursor or cursor options: use "
                                  "conn.cursor(query) inside a transaction")
            kind = next((q for q in self.p.qualified(arg.value) if q in _FACTORIES), None)
            if kind is None or _FACTORIES[kind] is None:
                raise Unsupported("this cursor_factory has no asyncpg row equivalent (a "
                                  "NamedTupleCursor needs record_class=)")
            rows = _FACTORIES[kind]
        assert rows is not None

        def need(helper: str) -> str:
            self.p.need_import("asyncify.compat", helper)
            return helper

        def bulk(node: cst.Call) -> str | None:
            return next((_BULK[q] for q in self.p.qualified(node.func) if q in _BULK), None)

        return Cursor(item.asname.name.value, call.func.value, rows, need, bulk)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        # A cursor outside a with-block is passed around or kept: never guessed.
        if (self.p.in_async() and isinstance(original.func, cst.Attribute)
                and original.func.attr.value == "cursor" and not original.args
                and not isinstance(self.p.parent(), cst.WithItem)):
            self.p.todo(self.id, original, "a cursor outside a with-block (kept, passed "
                        "around or stored): rewrite its uses onto conn.fetch/fetchrow/execute")
        return updated
