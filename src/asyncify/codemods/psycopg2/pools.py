"""ASY303: psycopg2 pools and connections in async code → asyncpg's, with psycopg2's JSON.

``ThreadedConnectionPool(minconn, maxconn, dsn)`` / ``SimpleConnectionPool`` →
``await create_db_pool(dsn, min_size=minconn, max_size=maxconn)`` (json/jsonb codecs in
``init``, libpq DSNs accepted); ``psycopg2.connect(...)`` → ``await connect_db(...)``;
``conn = pool.getconn()`` + ``try: … finally: pool.putconn(conn)`` → ``async with
pool.acquire() as conn:`` (release rolls back an open transaction and keeps the session,
as ``putconn`` did). A pool created lazily into a module global (``global _pool; if _pool is
None: _pool = ThreadedConnectionPool(...); return _pool``) → ``return await db_pool(...)``:
one pool per event loop, created on first use (see ``_lazy_pool``). Other ``getconn``/
``putconn`` shapes and other pools kept in globals get a TODO, and their function stays sync.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .._rule import Example, Rule, register
from ..propagation.keep import keep
from ._lazy_pool import globals_of, lazy_getter
from ._query import clean_commas, lines

if TYPE_CHECKING:
    from .._engine import Pass

_POOLS = {"psycopg2.pool.ThreadedConnectionPool", "psycopg2.pool.SimpleConnectionPool"}


def _call_on(statement: cst.CSTNode, method: str) -> tuple[cst.BaseExpression, cst.Call] | None:
    """``(receiver, call)`` when the statement is ``receiver.<method>(...)`` alone."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        expr = statement.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
            func = expr.value.func
            if isinstance(func, cst.Attribute) and func.attr.value == method:
                return func.value, expr.value
    return None


def _getconn(statement: cst.BaseStatement) -> tuple[str, cst.BaseExpression] | None:
    """``(conn, pool)`` for ``conn = pool.getconn()``."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        assign = statement.body[0]
        if (isinstance(assign, cst.Assign) and len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)
                and isinstance(assign.value, cst.Call) and not assign.value.args
                and isinstance(assign.value.func, cst.Attribute)
                and assign.value.func.attr.value == "getconn"):
            return assign.targets[0].target.value, assign.value.func.value
    return None


def _same(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    return a.deep_equals(b)


@register
class Pools(Rule):
    id = "ASY303"
    title = ("psycopg2 pools and connect() inside async code become asyncpg pools (json/jsonb "
             "codecs registered) and async with pool.acquire()")
    gate = frozenset({"psycopg2"})
    triggers = frozenset({"ConnectionPool", "getconn", "connect(", "closeall"})
    converts = frozenset({
        "psycopg2.connect", "psycopg2.pool.AbstractConnectionPool.getconn",
        "psycopg2.pool.AbstractConnectionPool", *_POOLS,
    })
    examples = (
        Example(
            "from psycopg2.pool import ThreadedConnectionPool\n\n"
            "POOL = ThreadedConnectionPool(1, 5, dsn='postgresql://db/app')\n",
            "from psycopg2.pool import ThreadedConnectionPool\n\n"
            "POOL = ThreadedConnectionPool(1, 5, dsn='postgresql://db/app')\n",
            why="a pool built at import time cannot await: the app's lifespan must create it",
        ),
        Example(
            "from psycopg2.pool import ThreadedConnectionPool\n\nasync def make(dsn):\n"
            "    return ThreadedConnectionPool(1, 5, dsn=dsn)\n",
            "from psycopg2.pool import ThreadedConnectionPool\n"
            "from asyncify.compat import create_db_pool\n\nasync def make(dsn):\n"
            "    return await create_db_pool(dsn=dsn, min_size=1, max_size=5)\n",
        ),
        Example(
            "import threading\nfrom psycopg2.pool import ThreadedConnectionPool\n\n"
            "_pool = None\n_lock = threading.Lock()\n\nasync def get_pool(settings):\n"
            "    global _pool\n    if _pool is None:\n        with _lock:\n"
            "            if _pool is None:\n                dsn = settings['dsn']\n"
            "                _pool = ThreadedConnectionPool(1, 5, dsn=dsn)\n    return _pool\n",
            "import threading\nfrom psycopg2.pool import ThreadedConnectionPool\n"
            "from asyncify.compat import db_pool\n\n"
            "_pool = None\n_lock = threading.Lock()\n\nasync def get_pool(settings):\n"
            "    dsn = settings['dsn']\n"
            "    return await db_pool(dsn=dsn, min_size=1, max_size=5)\n",
        ),
        Example(
            "from psycopg2.pool import ThreadedConnectionPool\n\n_pool = None\n\n"
            "async def reset(dsn):\n    global _pool\n"
            "    _pool = ThreadedConnectionPool(1, 5, dsn=dsn)\n",
            "from psycopg2.pool import ThreadedConnectionPool\n\n_pool = None\n\n"
            "async def reset(dsn):\n    global _pool\n"
            "    # TODO[asyncify ASY303]: a pool kept in a module global would be shared by every "
            "event loop (an asyncpg pool belongs to the loop that created it): get it with "
            "await asyncify.compat.db_pool(...) where it is used — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy303\n"
            "    _pool = ThreadedConnectionPool(1, 5, dsn=dsn)\n",
        ),
        Example(
            "import psycopg2\n\nasync def count(pool):\n    conn = pool.getconn()\n"
            "    try:\n        return await conn.fetchval('SELECT count(*) FROM t')\n"
            "    finally:\n        conn.rollback()\n        pool.putconn(conn)\n",
            "import psycopg2\n\nasync def count(pool):\n"
            "    async with pool.acquire() as conn:\n"
            "        return await conn.fetchval('SELECT count(*) FROM t')\n",
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        # Per enclosing function: its global names, and the one a lazy getter fills (or "").
        self._functions: list[tuple[set[str], str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        names = globals_of(node.body)
        lazy = next((name for name in sorted(names)
                     if (found := lazy_getter(node, name)) is not None
                     and self.p.qualified(found[1].func) & _POOLS), "")
        self._functions.append((names, lazy))

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        _, lazy = self._functions.pop()
        if not lazy or not self.p.in_async():
            return updated
        found = lazy_getter(updated, lazy)
        if found is None or not isinstance(found[1].func, cst.Name) or (
                found[1].func.value != "db_pool"):
            return updated
        before, call = found
        ret = cst.SimpleStatementLine([cst.Return(cst.Await(call))])
        assert isinstance(updated.body, cst.IndentedBlock)
        return updated.with_changes(body=updated.body.with_changes(body=[*before, ret]))

    def _global_target(self) -> str | None:
        """The global name the call being left is assigned to, if any."""
        parent = self.p.parent()
        if (self._functions and isinstance(parent, cst.Assign) and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)
                and parent.targets[0].target.value in self._functions[-1][0]):
            return parent.targets[0].target.value
        return None

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.p.in_async():
            return updated
        names = self.p.qualified(original.func)
        if names & _POOLS:
            positional = [a for a in updated.args if a.keyword is None and not a.star]
            if len(positional) < 2 or any(a.star for a in updated.args):
                self._keep(original, "pool arguments the rewrite cannot map")
                return updated
            target = self._global_target()
            if target is not None and target != self._functions[-1][1]:
                self._keep(original, "a pool kept in a module global would be shared by every "
                           "event loop (an asyncpg pool belongs to the loop that created it): "
                           "get it with await asyncify.compat.db_pool(...) where it is used")
                return updated
            low, high, *rest = positional
            keywords = [a for a in updated.args if a.keyword is not None]
            args = [*rest, *keywords,
                    cst.Arg(low.value, keyword=cst.Name("min_size"), equal=_EQ),
                    cst.Arg(high.value, keyword=cst.Name("max_size"), equal=_EQ)]
            return self._helper(original, "db_pool" if target else "create_db_pool", args)
        func = original.func
        if (isinstance(func, cst.Attribute) and func.attr.value == "closeall"
                and not original.args and isinstance(updated.func, cst.Attribute)):
            self.p.changed(self.id)
            return self.p.awaited(original, updated.with_changes(
                func=updated.func.with_changes(attr=cst.Name("close"))))
        if "psycopg2.connect" in names:
            if isinstance(self.p.parent(), cst.WithItem):
                self._keep(original, "with psycopg2.connect() as conn: is a "
                            "transaction that leaves the connection open; use async with "
                            "conn.transaction() on a connection you close yourself")
                return updated
            return self._helper(original, "connect_db", list(updated.args))
        return updated

    def _keep(self, node: cst.CSTNode, why: str) -> None:
        self.p.todo(self.id, node, why)
        keep(self.p, self.id, why)

    def _helper(self, original: cst.Call, name: str, args: list[cst.Arg]) -> cst.Await:
        self.p.need_import("asyncify.compat", name)
        self.p.changed(self.id)
        return self.p.awaited(original, cst.Call(cst.Name(name), clean_commas(args)))

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not self.p.in_async():
            return updated
        body = list(updated.body)
        out: list[cst.BaseStatement] = []
        i = 0
        while i < len(body):
            got = _getconn(body[i])
            if got is None:
                out.append(body[i])
                i += 1
                continue
            conn, pool = got
            acquired = self._acquire(conn, pool, body[i + 1] if i + 1 < len(body) else None)
            if acquired is None:
                keep(self.p, self.id, "getconn() without try/finally putconn()")
                out.append(self.p.marked(
                    self.id, original.body[i] if i < len(original.body) else original,
                    "getconn() without try/finally putconn(): use async with pool.acquire() "
                    "as conn around the connection's use", body[i]))
                i += 1
                continue
            self.p.changed(self.id)
            out.append(acquired.with_changes(leading_lines=lines(body[i])))
            i += 2
        return updated.with_changes(body=out)

    def _acquire(self, conn: str, pool: cst.BaseExpression,
                 following: cst.BaseStatement | None) -> cst.With | None:
        if not isinstance(following, cst.Try) or following.finalbody is None:
            return None
        final = list(following.finalbody.body.body)
        put = _call_on(final[-1], "putconn") if final else None
        if put is None or not _same(put[0], pool) or len(put[1].args) != 1 or not (
                isinstance(put[1].args[0].value, cst.Name)
                and put[1].args[0].value.value == conn):
            return None
        final.pop()
        if final and (rollback := _call_on(final[-1], "rollback")) and isinstance(
                rollback[0], cst.Name) and rollback[0].value == conn:
            final.pop()  # release() rolls back an open transaction itself
        if final:
            inner: list[cst.BaseStatement] = [following.with_changes(
                finalbody=following.finalbody.with_changes(
                    body=following.finalbody.body.with_changes(body=final)))]
        elif following.handlers or following.orelse is not None:
            inner = [following.with_changes(finalbody=None)]
        elif isinstance(following.body, cst.IndentedBlock):
            inner = list(following.body.body)
        else:
            return None
        item = cst.WithItem(cst.Call(cst.Attribute(pool, cst.Name("acquire"))),
                            asname=cst.AsName(cst.Name(conn)))
        return cst.With([item], cst.IndentedBlock(inner), asynchronous=cst.Asynchronous())


_EQ = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                      whitespace_after=cst.SimpleWhitespace(""))
