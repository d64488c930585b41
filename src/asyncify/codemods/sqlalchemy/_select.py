"""Legacy ``Query`` chains → 2.0 ``select()`` run on an ``AsyncSession`` (semantics.md §4).

Shared by ASY403 (``session.query(...)…``) and ASY404 (Flask-SQLAlchemy ``Model.query…``).
The builder calls are kept as they are (``Select`` has ``filter``, ``filter_by``, ``join``,
``options``…, with the same meaning); the call that ran the query becomes an awaited
``execute``/``scalars`` and a ``Result`` method that returns what ``Query`` returned.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .._engine import Pass
from ._chain import Step, call, is_entity, method, paren_await

# Query methods that Select has too, meaning the same thing.
BUILDERS = frozenset({
    "filter", "filter_by", "where", "order_by", "join", "outerjoin", "options", "limit",
    "offset", "group_by", "having", "distinct", "select_from", "with_for_update",
    "execution_options", "add_columns", "correlate",
})
# Terminal call → the Result method that returns the same value.
ROWS = {"all": "all", "first": "first", "one": "one", "one_or_none": "one_or_none"}
TERMINALS = frozenset({*ROWS, "scalar", "count", "get", "delete", "update"})
KEPT = ("a Query kept as a value: build select(...) and run it with await "
        "session.scalars(...)/execute(...) where it is used")
# Bulk Query.delete()/update() become delete()/update() statements, which filter like this.
_DML_FILTERS = frozenset({"filter", "filter_by", "where"})


def statement(head: cst.Call, builders: Sequence[Step]) -> cst.BaseExpression:
    """``select(<head's arguments>)`` followed by the builder calls, formatting kept."""
    expr: cst.BaseExpression = cst.Call(cst.Name("select"), head.args)
    for step in builders:
        expr = method(step.call, expr)
    return expr


def why_not(head: cst.Call, builders: Sequence[Step], terminal: Step) -> str | None:
    """Why a chain cannot be rewritten mechanically, or ``None`` when it can."""
    odd = [s.method for s in builders if s.method not in BUILDERS]
    if odd:
        return (f"Query.{odd[0]}() has no select() equivalent with the same meaning: "
                "rewrite this query as select(...) run with await session.execute(...)")
    if terminal.method in BUILDERS:
        return KEPT
    if terminal.method not in TERMINALS:
        return (f"Query.{terminal.method}() has no mechanical AsyncSession equivalent "
                "(iteration → (await session.scalars(select(...))).all(); streaming → "
                "await session.stream_scalars(select(...)))")
    if terminal.method == "get" and builders:
        return "Query.get() after filters: use await session.get(Model, id)"
    if terminal.method in ("delete", "update"):
        return _why_not_dml(head, builders, terminal)
    return None


def _why_not_dml(head: cst.Call, builders: Sequence[Step], terminal: Step) -> str | None:
    extra = [s.method for s in builders if s.method not in _DML_FILTERS]
    args = terminal.call.args
    positional = [a for a in args if a.keyword is None]
    keywords = {a.keyword.value for a in args if a.keyword is not None}
    wanted = 1 if terminal.method == "update" else 0
    one_entity = len(head.args) == 1 and is_entity(head.args[0])
    if not one_entity or extra or any(a.star for a in args) or len(positional) != wanted or (
            keywords - {"synchronize_session"}):
        return (f"a bulk Query.{terminal.method}() the rewrite cannot map: write "
                f"await session.execute(sqlalchemy.{terminal.method}(Model).where(...))")
    return None


def _joined(builders: Sequence[Step]) -> bool:
    # select() + a collection joinedload raises unless the result is de-duplicated.
    return any(s.method == "options" and "joinedload" in cst.Module([]).code_for_node(s.call)
               for s in builders)


def run(p: Pass, original: cst.Call, session: cst.BaseExpression, head: cst.Call,
        builders: Sequence[Step], terminal: Step) -> cst.BaseExpression:
    """The rewritten expression for a chain that :func:`why_not` accepted."""
    name = terminal.method
    if name == "get":
        entity = head.args[0].value
        got = call(cst.Attribute(session, cst.Name("get")), entity, *terminal.call.args)
        return p.awaited(original, got)
    if name in ("delete", "update"):
        return _dml(p, session, head, builders, terminal, original)
    p.need_import("sqlalchemy", "select")
    stmt = statement(head, builders)
    if name == "count":
        # Query.count() is SELECT count(*) FROM (<query>) AS anon_1.
        p.need_import("sqlalchemy", "func")
        counted = call(cst.Attribute(call("select", call("func.count")), cst.Name("select_from")),
                       call(cst.Attribute(stmt, cst.Name("subquery"))))
        return p.awaited(original, call(cst.Attribute(session, cst.Name("scalar")), counted))
    scalars = len(head.args) == 1 and is_entity(head.args[0])
    if name == "scalar":
        # Query.scalar(): first column of the only row, None for no row, error for several.
        executed = paren_await(call(cst.Attribute(session, cst.Name("execute")), stmt))
        return _outer(original, call(cst.Attribute(executed, cst.Name("scalar_one_or_none"))))
    if name == "first":
        stmt = call(cst.Attribute(stmt, cst.Name("limit")), cst.Integer("1"))  # as Query did
    runner = "scalars" if scalars else "execute"
    result: cst.BaseExpression = paren_await(
        call(cst.Attribute(session, cst.Name(runner)), stmt))
    if _joined(builders):
        result = call(cst.Attribute(result, cst.Name("unique")))
    return _outer(original, call(cst.Attribute(result, cst.Name(ROWS[name]))))


def _dml(p: Pass, session: cst.BaseExpression, head: cst.Call, builders: Sequence[Step],
         terminal: Step, original: cst.Call) -> cst.BaseExpression:
    """``Query.delete()``/``update(values)`` → the matched row count of an ORM-enabled
    ``delete()``/``update()`` statement (same default ``synchronize_session="auto"``)."""
    p.need_import("sqlalchemy")
    name = terminal.method
    stmt: cst.BaseExpression = call(f"sqlalchemy.{name}", head.args[0].value)
    for step in builders:
        stmt = method(step.call, stmt)
    values = [a for a in terminal.call.args if a.keyword is None]
    if values:
        stmt = call(cst.Attribute(stmt, cst.Name("values")), values[0].value)
    sync = [a for a in terminal.call.args if a.keyword is not None]
    if sync:
        stmt = cst.Call(cst.Attribute(stmt, cst.Name("execution_options")),
                        [sync[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
    executed = paren_await(call(cst.Attribute(session, cst.Name("execute")), stmt))
    return cst.Attribute(executed, cst.Name("rowcount"), lpar=original.lpar,
                         rpar=original.rpar)


def _outer(original: cst.Call, new: cst.Call) -> cst.Call:
    return new.with_changes(lpar=original.lpar, rpar=original.rpar)
