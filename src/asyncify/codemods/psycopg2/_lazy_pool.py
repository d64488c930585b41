"""The lazily created module-global pool, as psycopg2 code writes it, → ``compat.db_pool``.

::

    def get_pool():
        global _pool
        if _pool is None:
            with _pool_lock:
                if _pool is None:
                    config = current_app.config
                    _pool = ThreadedConnectionPool(lo, hi, dsn=config["DSN"])
        return _pool

becomes ``config = current_app.config; return await db_pool(dsn=…, min_size=lo,
max_size=hi)``. An asyncpg pool belongs to the event loop that created it, so caching it in a
module global breaks as soon as a second loop (the bridge's, a test's) uses it; ``db_pool``
keeps one per loop, creates it once (under a per-loop lock) and closes it with its loop. The
``is None`` checks and the thread lock go: ``db_pool`` does both.
"""

from __future__ import annotations

import libcst as cst


def _is_none_check(node: cst.BaseExpression, name: str) -> bool:
    return (isinstance(node, cst.Comparison) and isinstance(node.left, cst.Name)
            and node.left.value == name and len(node.comparisons) == 1
            and isinstance(node.comparisons[0].operator, cst.Is)
            and isinstance(node.comparisons[0].comparator, cst.Name)
            and node.comparisons[0].comparator.value == "None")


def _assigned_call(statement: cst.BaseStatement, name: str) -> cst.Call | None:
    """The call in ``name = <call>`` or ``name = await <call>``."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    assign = statement.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and assign.targets[0].target.value == name):
        return None
    value = assign.value.expression if isinstance(assign.value, cst.Await) else assign.value
    return value if isinstance(value, cst.Call) else None


def globals_of(body: cst.BaseSuite) -> set[str]:
    """Names a function body declares ``global`` at its top level."""
    names: set[str] = set()
    if isinstance(body, cst.IndentedBlock):
        for statement in body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Global):
                        names.update(n.name.value for n in small.names)
    return names


def _creation(block: list[cst.BaseStatement], name: str) -> (
        tuple[list[cst.BaseStatement], cst.Call] | None):
    """Inside nested ``if name is None:`` / ``with lock:`` blocks, the statements before
    ``name = <call>`` (the last statement of the innermost block) and the call."""
    if len(block) == 1 and isinstance(block[0], cst.If | cst.With):
        compound = block[0]
        if isinstance(compound, cst.If) and (
                compound.orelse is not None or not _is_none_check(compound.test, name)):
            return None
        if isinstance(compound, cst.With) and compound.asynchronous is not None:
            return None
        if not isinstance(compound.body, cst.IndentedBlock):
            return None
        return _creation(list(compound.body.body), name)
    if block and (call := _assigned_call(block[-1], name)) is not None:
        before = block[:-1]
        if all(isinstance(s, cst.SimpleStatementLine)
               and all(isinstance(x, cst.Assign | cst.AnnAssign) for x in s.body)
               for s in before):
            return before, call
    return None


def lazy_getter(function: cst.FunctionDef, pool_name: str) -> (
        tuple[list[cst.BaseStatement], cst.Call] | None):
    """For ``global name; if name is None: … name = pool(...); return name``: the statements
    the creation needs and the pool call; ``None`` for any other shape."""
    if not isinstance(function.body, cst.IndentedBlock):
        return None
    body = [s for s in function.body.body
            if not (isinstance(s, cst.SimpleStatementLine)
                    and all(isinstance(x, cst.Global) for x in s.body))]
    docstring = body[:1] if body and function.get_docstring() is not None else []
    rest = body[len(docstring):]
    if len(rest) != 2:
        return None
    ret = rest[1]
    if not (isinstance(ret, cst.SimpleStatementLine) and len(ret.body) == 1
            and isinstance(ret.body[0], cst.Return) and isinstance(ret.body[0].value, cst.Name)
            and ret.body[0].value.value == pool_name):
        return None
    found = _creation([rest[0]], pool_name)
    if found is None:
        return None
    before, call = found
    return [*docstring, *before], call
