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

import re
from collections.abc import Sequence

import libcst as cst

from .._engine import Pass
from .._rule import Example, Rule, register
from ..propagation.keep import keep
from ._block import Cursor, Rows, convert, uses, why
from ._query import FlaggedBy, Unsupported, lines, literal

_FACTORIES: dict[str, Rows | None] = {
    "psycopg2.extras.RealDictCursor": "dict", "psycopg2.extras.DictCursor": "record",
    "psycopg2.extras.NamedTupleCursor": None,
}
_BULK = {"psycopg2.extras.execute_batch": "execute_batch",
         "psycopg2.extras.execute_values": "execute_values"}


_SET_LOCAL = re.compile(r"\s*SET\s+LOCAL\s+([A-Za-z_][\w.]*)\s*(?:=|\s+TO\s)\s*%s\s*;?\s*",
                        re.IGNORECASE)
_READS = re.compile(r"\s*(SELECT|SHOW|VALUES|TABLE)\b|\s*SET\s+LOCAL\b", re.IGNORECASE)


def set_local(query: str) -> str | None:
    """``SET LOCAL name = %s`` (a syntax error with a bound parameter in asyncpg) as the
    equivalent ``SELECT set_config('name', %s, true)``; ``None`` for any other query."""
    match = _SET_LOCAL.fullmatch(query)
    return None if match is None else f"SELECT set_config('{match[1]}', %s, true)"


def _set_local(body: Sequence[cst.BaseStatement], name: str) -> (
        tuple[list[cst.BaseStatement], bool]):
    """The block with each ``cur.execute("SET LOCAL x = %s", …)`` as ``set_config``, and
    whether there was one. :raises Unsupported: such a block also writes, or runs a query
    built at run time (a transaction around it would commit what psycopg2 rolled back)."""
    out: list[cst.BaseStatement] = []
    found = False
    queries: list[cst.BaseExpression] = []

    class Find(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                    and func.value.value == name and func.attr.value.startswith("execute")
                    and node.args):
                queries.append(node.args[0].value)

    for statement in body:
        statement.visit(Find())
        rewritten = statement
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            expr = statement.body[0]
            call = expr.value if isinstance(expr, cst.Expr) else None
            text = literal(call.args[0].value) if isinstance(call, cst.Call) and (
                call.args) else None
            replacement = set_local(text) if text is not None else None
            if replacement is not None and isinstance(call, cst.Call):
                found = True
                arg = call.args[0].with_changes(value=cst.SimpleString(repr(replacement)))
                rewritten = statement.with_changes(body=[expr.with_changes(
                    value=call.with_changes(args=[arg, *_as_text(call.args[1:])]))])
        out.append(rewritten)
    if found:
        texts = [literal(q) for q in queries]
        if any(t is None or not _READS.match(t) for t in texts):
            raise Unsupported("SET LOCAL in a block that also writes or builds a query at run "
                              "time: wrap the unit of work in async with conn.transaction() "
                              "and use SELECT set_config(name, $1, true)")
    return out, found


def _as_text(params: Sequence[cst.Arg]) -> list[cst.Arg]:
    """``(value,)`` → ``(str(value),)``: set_config takes text, where psycopg2 rendered any
    value into the SET (``5000``, ``'2s'``)."""
    if len(params) != 1 or not isinstance(params[0].value, cst.Tuple | cst.List):
        return list(params)
    elements = params[0].value.elements
    if len(elements) != 1 or literal(elements[0].value) is not None:
        return list(params)
    value = cst.Call(cst.Name("str"), [cst.Arg(elements[0].value)])
    return [params[0].with_changes(value=params[0].value.with_changes(
        elements=[elements[0].with_changes(value=value)]))]


@register
class CursorBlocks(Rule):
    id = "ASY301"
    title = ("with conn.cursor() as cur: blocks inside async code become awaited asyncpg "
             "fetch/fetchrow/execute calls on the connection, with $n placeholders")
    gate = frozenset({"psycopg2"})
    triggers = frozenset({"cursor("})
    # Blocks it cannot convert completely are kept (``propagation.keep``): per call site.
    converts = frozenset({
        *(f"psycopg2.extensions.cursor.{m}" for m in (
            "execute", "executemany", "callproc", "copy_expert", "copy_from", "copy_to")),
        "psycopg2.extras.execute_values", "psycopg2.extras.execute_batch",
        "psycopg2.extras.execute_many",
    })
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
            "import psycopg2\n\nasync def count(conn, timeout):\n    with conn.cursor() as cur:\n"
            "        cur.execute('SET LOCAL statement_timeout = %s', (timeout,))\n"
            "        cur.execute('SELECT count(*) FROM books')\n"
            "        return cur.fetchone()[0]\n",
            "import psycopg2\n\nasync def count(conn, timeout):\n"
            "    async with conn.transaction():\n"
            "        await conn.execute(\"SELECT set_config('statement_timeout', $1, true)\", "
            "str(timeout))\n"
            "        return (await conn.fetchrow('SELECT count(*) FROM books'))[0]\n",
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
            "    pg_status = await conn.execute(\n        'UPDATE books SET stock = stock - $1 '\n"
            "        'WHERE id = $2 AND stock >= $1',\n        qty,\n        book_id,\n    )\n"
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

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._open: list[set[str]] = []

    def visit_With(self, node: cst.With) -> None:
        # The cursors this block opens: their calls are converted with the block.
        self._open.append({item.asname.name.value for item in node.items
                           if self._is_cursor(item) and item.asname is not None
                           and isinstance(item.asname.name, cst.Name)})

    def leave_With(self, original: cst.With, updated: cst.With) -> (
            cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]):
        self._open.pop()
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
            statements, scoped = _set_local(updated.body.body, cursor.name)
            body = convert(cursor, statements)
            if scoped:
                # psycopg2 ran the block in one transaction, which SET LOCAL lasts for;
                # asyncpg autocommits each statement: keep the transaction (reads only, so
                # ending it with a commit instead of the pool's rollback changes nothing).
                body = [cst.With([cst.WithItem(cst.Call(cst.Attribute(
                    cursor.conn.deep_clone(), cst.Name("transaction"))))],
                    cst.IndentedBlock(body), asynchronous=cst.Asynchronous())]
            if any(uses(statement, cursor.name) for statement in body):
                raise Unsupported(why(cst.IndentedBlock(body), cursor.name))
        except Unsupported as exc:
            if not (isinstance(exc, FlaggedBy) and any(r.id == exc.rule for r in self.p.rules)):
                self.p.todo(self.id, original, str(exc))
            keep(self.p, self.id, str(exc))
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
        func = original.func
        if (self.p.in_async() and isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and self.p.site(original) == f"psycopg2.extensions.cursor.{func.attr.value}"
                and not any(func.value.value in names for names in self._open)):
            # A cursor this rule does not convert (made at module level, or passed in): its
            # calls stay psycopg2's, so the function stays sync.
            why = (f"{func.value.value}.{func.attr.value}() on a cursor not opened in a "
                   "with-block here (made at module level or passed in): rewrite its uses "
                   "onto conn.fetch/fetchrow/execute")
            self.p.todo(self.id, original, why)
            keep(self.p, self.id, why)
            return updated
        # A cursor outside a with-block is passed around or kept: never guessed.
        if (self.p.in_async() and isinstance(original.func, cst.Attribute)
                and original.func.attr.value == "cursor" and not original.args
                and not isinstance(self.p.parent(), cst.WithItem)):
            why = ("a cursor outside a with-block (kept, passed around or stored): rewrite its "
                   "uses onto conn.fetch/fetchrow/execute")
            self.p.todo(self.id, original, why)
            keep(self.p, self.id, why)
        return updated
