"""ASY302: psycopg2's implicit transactions → ``async with conn.transaction():`` in async code.

psycopg2 opens a transaction on the first statement and keeps it until ``commit()`` /
``rollback()``; asyncpg autocommits every statement (semantics.md §2d), so atomicity would be
lost silently. Rewritten where the unit of work is visible: ``with conn:``; a block that binds
the connection (``with connection() as conn:`` / ``conn = pool.getconn()``) and ends its work
with ``conn.commit()``; ``try: …; conn.commit() except: conn.rollback(); raise``. A commit
whose unit of work is unclear (the connection came from the caller, a commit per loop
iteration, an early ``return`` that skipped the commit) gets a TODO. ``conn.autocommit =
True`` is dropped (asyncpg's default).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .._rule import Example, Rule, register
from ..propagation.keep import keep
from ._query import lines

_CONN_METHODS = {"cursor", "commit", "rollback", "fetch", "fetchrow", "fetchval", "execute",
                 "executemany", "transaction"}


def _method_of(statement: cst.BaseStatement, method: str) -> str | None:
    """``N`` when the statement is exactly ``N.<method>()``."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        expr = statement.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call) and (
                not expr.value.args):
            func = expr.value.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and (
                    func.attr.value == method):
                return func.value.value
    return None


def _receivers(node: cst.CSTNode) -> set[str]:
    """Names used as ``N.<connection method>`` in ``node``."""
    found: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> None:
            if isinstance(n.value, cst.Name) and n.attr.value in _CONN_METHODS:
                found.add(n.value.value)

    node.visit(Finder())
    return found


def _exits_early(statements: Sequence[cst.BaseStatement]) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

        def visit_Return(self, n: cst.Return) -> None:
            nonlocal found
            found = True

        def visit_Break(self, n: cst.Break) -> None:
            nonlocal found
            found = True

        def visit_Continue(self, n: cst.Continue) -> None:
            nonlocal found
            found = True

    for statement in statements:
        statement.visit(Finder())
    return found


def _binds(statement: cst.CSTNode, name: str) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        # A fresh connection (getconn(), connect(…)): not an alias of one used before.
        return any(isinstance(s, cst.Assign) and any(
            isinstance(t.target, cst.Name) and t.target.value == name for t in s.targets)
            and isinstance(s.value.expression if isinstance(s.value, cst.Await) else s.value,
                           cst.Call)
            for s in statement.body)
    return False


def _with_binds(node: cst.CSTNode | None, name: str) -> bool:
    return isinstance(node, cst.With) and any(
        i.asname is not None and isinstance(i.asname.name, cst.Name)
        and i.asname.name.value == name for i in node.items)


def transaction(conn: str, body: Sequence[cst.BaseStatement]) -> cst.With:
    return cst.With([cst.WithItem(cst.parse_expression(f"{conn}.transaction()"))],
                    cst.IndentedBlock(list(body)), asynchronous=cst.Asynchronous())


@register
class Transactions(Rule):
    id = "ASY302"
    title = ("commit()/rollback()/with conn: inside async code become async with "
             "conn.transaction() around the unit of work (asyncpg autocommits)")
    gate = frozenset({"psycopg2"})
    triggers = frozenset({"commit", "rollback", "autocommit", "with"})
    # A commit()/rollback() left in place keeps its function sync (``propagation.keep``).
    converts = frozenset({"psycopg2.extensions.connection.commit",
                          "psycopg2.extensions.connection.rollback"})
    examples = (
        Example(
            "import psycopg2\n\nasync def touch(conn):\n    async with conn.transaction():\n"
            "        await conn.execute('UPDATE t SET a = 1')\n",
            "import psycopg2\n\nasync def touch(conn):\n    async with conn.transaction():\n"
            "        await conn.execute('UPDATE t SET a = 1')\n",
            why="already an asyncpg transaction",
        ),
        Example(
            "import psycopg2\n\nasync def touch(conn):\n"
            "    await conn.execute('UPDATE t SET a = 1')\n    conn.commit()\n",
            "import psycopg2\n\nasync def touch(conn):\n"
            "    await conn.execute('UPDATE t SET a = 1')\n"
            "    # TODO[asyncify ASY302]: the unit of work this commit() ends is unclear (the "
            "connection comes from elsewhere, or the commit is in a loop): asyncpg "
            "autocommits, wrap it in async with conn.transaction() — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy302\n    conn.commit()\n",
        ),
        Example(
            "import psycopg2\n\nasync def add(pool, name):\n    with pool.connection() as conn:\n"
            "        await conn.execute('INSERT INTO a (name) VALUES ($1)', name)\n"
            "        await conn.execute('UPDATE c SET n = n + 1')\n        conn.commit()\n",
            "import psycopg2\n\nasync def add(pool, name):\n    with pool.connection() as conn:\n"
            "        async with conn.transaction():\n"
            "            await conn.execute('INSERT INTO a (name) VALUES ($1)', name)\n"
            "            await conn.execute('UPDATE c SET n = n + 1')\n",
        ),
        Example(
            "import psycopg2\n\nasync def cancel(conn, order_id):\n    with conn:\n"
            "        await conn.execute('DELETE FROM o WHERE id = $1', order_id)\n",
            "import psycopg2\n\nasync def cancel(conn, order_id):\n"
            "    async with conn.transaction():\n"
            "        await conn.execute('DELETE FROM o WHERE id = $1', order_id)\n",
        ),
    )

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.BaseStatement:
        if not self.p.in_async() or not isinstance(updated, cst.With):
            return updated
        evidence = _receivers(original)
        index = next((n for n, item in enumerate(updated.items)
                      if isinstance(item.item, cst.Name) and item.asname is None
                      and item.item.value in evidence), None)
        if index is None or "cursor" in {a for a in _attrs(updated)}:
            return updated
        conn = updated.items[index].item
        assert isinstance(conn, cst.Name)
        before, after = list(updated.items[:index]), updated.items[index + 1:]
        if after or updated.asynchronous is not None:
            why = ("with conn: mixed with other context managers: use async with "
                   "conn.transaction() around the unit of work")
            self.p.todo(self.id, original, why)
            keep(self.p, self.id, why)
            return updated
        self.p.changed(self.id)
        assert isinstance(updated.body, cst.IndentedBlock)
        inner = transaction(conn.value, updated.body.body)
        if not before:
            return inner.with_changes(leading_lines=updated.leading_lines)
        before[-1] = before[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(items=before, body=cst.IndentedBlock([inner]))

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not self.p.in_async():
            return updated
        body = list(updated.body)
        commits = [(n, c) for n, s in enumerate(body) if (c := _method_of(s, "commit"))]
        if len(commits) != 1:
            return self._unclear(original, updated, [n for n, _ in commits])
        k, conn = commits[0]
        work = body[:k]
        if "cursor" in {a for s in work for a in _attrs(s)} or not any(
                conn in _receivers(s) for s in work):
            return updated  # ASY301 left a TODO there, or this is not a connection
        start = self._start(conn, body, k)
        if start is None or _exits_early(body[start:k]) or any(
                _method_of(s, "rollback") == conn for s in work):
            return self._unclear(original, updated, [k])
        self.p.changed(self.id)
        unit = body[start:k]
        tail = [body[k + 1].with_changes(leading_lines=[*lines(body[k]), *lines(body[k + 1])])
                ] if k + 1 < len(body) else []
        new = [*body[:start]]
        if unit:
            new.append(transaction(conn, [unit[0].with_changes(leading_lines=[]),
                                          *unit[1:]]).with_changes(
                leading_lines=lines(unit[0])))
        return updated.with_changes(body=[*new, *tail, *body[k + 2:]] or [cst.SimpleStatementLine(
            [cst.Pass()])])

    def _start(self, conn: str, body: list[cst.BaseStatement], k: int) -> int | None:
        """Where the unit of work ending at ``body[k]`` began, or ``None`` if unclear."""
        owner = self.p.parent()
        binding = [n for n in range(k) if _binds(body[n], conn)]
        if binding:
            return binding[-1] + 1
        if _with_binds(owner, conn):
            return 0
        if isinstance(owner, cst.Try) and owner.body is self.p.ancestor(0):
            enclosing = self.p.ancestor(2)
            if isinstance(enclosing, cst.IndentedBlock):
                at = next(n for n, s in enumerate(enclosing.body) if s is owner)
                earlier = enclosing.body[:at]
                if not any(conn in _receivers(s) for s in earlier) and (
                        _with_binds(self.p.ancestor(3), conn)
                        or any(_binds(s, conn) for s in earlier)):
                    return 0
        return None

    def _unclear(self, original: cst.IndentedBlock, updated: cst.IndentedBlock,
                 at: list[int]) -> cst.IndentedBlock:
        """TODO markers on the commits ``updated.body[n]`` for ``n`` in ``at``."""
        body = list(updated.body)
        sources = [s for s in original.body if _method_of(s, "commit")]
        for count, n in enumerate(at):
            keep(self.p, self.id, "a commit() whose unit of work is unclear")
            source = sources[count] if count < len(sources) else original
            body[n] = self.p.marked(
                self.id, source, "the unit of work this commit() ends is unclear (the "
                "connection comes from elsewhere, or the commit is in a loop): asyncpg "
                "autocommits, wrap it in async with conn.transaction()", body[n])
        return updated.with_changes(body=body)

    def leave_Try(self, original: cst.Try, updated: cst.Try) -> cst.BaseStatement:
        if not self.p.in_async():
            return updated
        first = updated.body.body[0] if len(updated.body.body) == 1 else None
        item = first.items[0].item if isinstance(first, cst.With) else None
        if not (isinstance(first, cst.With) and first.asynchronous is not None
                and isinstance(item, cst.Call) and isinstance(item.func, cst.Attribute)
                and item.func.attr.value == "transaction"
                and isinstance(item.func.value, cst.Name)):
            return updated
        conn = item.func.value.value
        if not any(isinstance(s, cst.BaseStatement) and _method_of(s, "commit") == conn
                   for s in original.body.body):
            return updated  # a transaction the code already had
        handlers = []
        for handler in updated.handlers:
            kept = [s for s in handler.body.body
                    if not (isinstance(s, cst.BaseStatement) and _method_of(s, "rollback") == conn)]
            handlers.append(handler.with_changes(body=handler.body.with_changes(body=kept)))
        self.p.changed(self.id)
        only_raise = all(
            len(h.body.body) == 1 and isinstance(h.body.body[0], cst.SimpleStatementLine)
            and isinstance(h.body.body[0].body[0], cst.Raise) and h.body.body[0].body[0].exc
            is None and (h.type is None or cst.Module([]).code_for_node(h.type) in (
                "Exception", "BaseException")) for h in handlers)
        if only_raise and updated.orelse is None and updated.finalbody is None:
            return first.with_changes(leading_lines=updated.leading_lines)
        return updated.with_changes(handlers=handlers)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        # asyncpg connections have no commit()/rollback(): one still here was not converted.
        if self.p.in_async() and _left_over(updated.body):
            keep(self.p, self.id, "a commit()/rollback() outside a unit of work the rewrite "
                 "recognises")
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if not self.p.in_async() or len(updated.body) != 1:
            return updated
        assign = updated.body[0]
        if (isinstance(assign, cst.Assign) and len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Attribute)
                and assign.targets[0].target.attr.value == "autocommit"):
            if isinstance(assign.value, cst.Name) and assign.value.value == "True":
                self.p.changed(self.id)
                return cst.RemoveFromParent()
            self.p.todo(self.id, original, "autocommit off: asyncpg always autocommits "
                        "outside async with conn.transaction()")
        return updated


def _left_over(node: cst.CSTNode) -> bool:
    """Whether ``node`` still calls ``N.commit()``/``N.rollback()`` without awaiting it."""
    found: list[bool] = []

    class Finder(cst.CSTVisitor):
        def visit_Await(self, n: cst.Await) -> bool:
            return False

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False  # a nested function is its own unit

        def visit_Call(self, n: cst.Call) -> None:
            if (not n.args and isinstance(n.func, cst.Attribute)
                    and isinstance(n.func.value, cst.Name)
                    and n.func.attr.value in ("commit", "rollback")):
                found.append(True)

    for child in node.children:
        child.visit(Finder())
    return bool(found)


def _attrs(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> None:
            found.append(n.attr.value)

    node.visit(Finder())
    return found

