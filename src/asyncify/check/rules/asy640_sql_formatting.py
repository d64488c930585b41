"""ASY640: SQL text built from values by ``%``-formatting, an f-string, ``.format()`` or ``+``.

Not an async problem, but the psycopg2 → asyncpg rewrite (ASY306) meets it on every query and
must never turn it into parameters silently (a value spliced into the text is not always a
value: it may be an identifier or a whole clause), so it flags it here too, where CI sees it.
Constants (``BOOK_SELECT + " WHERE id = %s"``) and locals built from literals are not flagged:
only values that come from a parameter of the function or from a call.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

from .._context import Context
from .._model import Example, Finding, Rule, register

_EXECUTES = (".execute", ".executemany", ".callproc")


def find(ctx: Context) -> Iterator[Finding]:
    wanted: dict[Path, dict[tuple[int, int], str]] = {}
    for qname, sites in ctx.graph.sites.items():
        fn = ctx.functions.get(qname)
        if fn is None:
            continue
        for site in sites:
            if site.operation.category == "db" and site.operation.name.endswith(_EXECUTES):
                wanted.setdefault(fn.module.file.path, {})[(site.line, site.col)] = qname
    for path, positions in wanted.items():
        for (line, col), how in _formatted_queries(path, _stamp(path)).items():
            owner = positions.get((line, col))
            if owner is not None:
                yield ctx.finding(
                    "ASY640", owner, line, col,
                    f"SQL built by {how}: a value spliced into the query text is an injection "
                    "risk and is not a parameter (asyncify will not make it one silently); "
                    "pass values as parameters, and quote identifiers with psycopg2.sql",
                    how.partition(" ")[0])


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _formatted_queries(path: Path, stamp: tuple[int, int]) -> dict[tuple[int, int], str]:
    """``(line, col)`` of each call (1-based col, as the index reports) whose first argument
    is query text built from a function's parameters or calls → how it was built."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[tuple[int, int], str] = {}

    def walk(node: ast.AST, params: frozenset[str]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = params
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                args = child.args
                inner = frozenset(a.arg for a in [*args.posonlyargs, *args.args,
                                                  *args.kwonlyargs, args.vararg, args.kwarg]
                                  if a is not None)
            elif isinstance(child, ast.Call) and child.args:
                how = formatted(child.args[0], params)
                if how is not None:
                    found[(child.lineno, child.col_offset + 1)] = how
            walk(child, inner)

    walk(tree, frozenset())
    return found


def formatted(query: ast.expr, params: frozenset[str]) -> str | None:
    """How ``query`` splices values into SQL text, or ``None`` when it does not."""
    if isinstance(query, ast.JoinedStr) and any(
            isinstance(v, ast.FormattedValue) for v in query.values):
        return "an f-string"
    if isinstance(query, ast.BinOp) and isinstance(query.op, ast.Mod) and isinstance(
            query.left, ast.Constant) and isinstance(query.left.value, str):
        return "%-formatting"
    if (isinstance(query, ast.Call) and isinstance(query.func, ast.Attribute)
            and query.func.attr == "format" and isinstance(query.func.value, ast.Constant)):
        return "str.format()"
    if isinstance(query, ast.BinOp) and isinstance(query.op, ast.Add):
        parts: list[ast.expr] = []
        stack: list[ast.expr] = [query]
        while stack:
            item = stack.pop()
            if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
                stack += [item.left, item.right]
            else:
                parts.append(item)
        for part in parts:
            if (isinstance(part, ast.Name) and part.id in params) or isinstance(
                    part, ast.Call | ast.Subscript) or formatted(part, params):
                return f"concatenation ({ast.unparse(part)})"
    return None


RULE = register(Rule(
    id="ASY640",
    name="sql-built-by-formatting",
    summary="A database query whose text splices in values (%, f-string, .format(), +).",
    flake8_async="",
    before=Example('''
import psycopg2

def find_book(conn, title):
    with conn.cursor() as cur:
        cur.execute(f"SELECT id FROM books WHERE title = '{title}'")  # flagged
        return cur.fetchone()
'''),
    after=Example('''
import psycopg2

def find_book(conn, title):
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM books WHERE title = %s", (title,))
        return cur.fetchone()
''', "the value is a parameter: the driver sends it apart from the SQL"),
    valid=(
        Example('''
import psycopg2

BOOK_SELECT = "SELECT id, title FROM books"

def get_book(conn, book_id):
    with conn.cursor() as cur:
        cur.execute(BOOK_SELECT + " WHERE id = %s", (book_id,))
        return cur.fetchone()
''', "constant SQL pieces joined together, values as parameters"),
    ),
    invalid=(
        Example('''
import psycopg2

def delete(conn, table, ids):
    with conn.cursor() as cur:
        cur.execute("DELETE FROM %s" % table)  # flagged
        cur.execute("DELETE FROM t WHERE id IN (" + ",".join(ids) + ")")  # flagged
''', "%-formatting, and concatenation with a call's result"),
    ),
    find=find,
))
