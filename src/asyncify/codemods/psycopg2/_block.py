"""The body of a ``with conn.cursor() as cur:`` block, rewritten onto the connection.

Each ``cur.execute(q, p)`` is paired with what reads its result: the next statement's
``cur.fetchone()`` / ``cur.fetchall()`` / ``for row in cur``, or the ``cur.rowcount`` reads
that follow. Anything else that touches the cursor raises :class:`Unsupported` and the rule
leaves the whole block as it was, with a TODO: a block is converted completely or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from ...compat._pgsql import statement_count
from ._query import (
    UTILITY,
    FlaggedBy,
    Unsupported,
    call_args,
    clean_commas,
    is_none,
    lines,
    literal,
    one_per_line,
    translated,
)

Rows = Literal["tuple", "dict", "record"]
_PROCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?")
STATUS = "pg_status"
_WHY = {
    "lastrowid": "cur.lastrowid is an OID (0 for ordinary tables) in psycopg2: use "
                 "INSERT … RETURNING id and fetchval",
    "mogrify": "cur.mogrify has no asyncpg equivalent (parameters are bound server-side)",
    "description": "cur.description: use the record's keys() or a prepared statement's "
                   "get_attributes()",
    "fetchmany": "cur.fetchmany(n): asyncpg's fetchmany is executemany-with-RETURNING; fetch "
                 "all and slice, or use conn.cursor() inside a transaction",
    "callproc": "cur.callproc: call the function with SELECT * FROM f($1, …)",
    "copy_from": "COPY: use conn.copy_to_table() with an async source",
    "copy_to": "COPY: use conn.copy_from_table()",
    "copy_expert": "COPY: use conn.copy_to_table()/copy_from_query() with the options spelt out",
    "rowcount": "cur.rowcount read where no single execute() precedes it (after "
                "executemany asyncpg reports no count)",
}


@dataclass
class Cursor:
    name: str
    conn: cst.BaseExpression
    rows: Rows
    need: Callable[[str], str]  # imports a compat helper, returns its local name
    bulk: Callable[[cst.Call], str | None]  # "execute_values"/"execute_batch" for such calls
    todos: list[str] = field(default_factory=list)  # TODOs to emit if the block converts


def uses(node: cst.CSTNode, name: str) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                found.append(n)

    node.visit(Finder())
    return found


def _attribute_calls(node: cst.CSTNode, name: str) -> list[str]:
    """``attr`` for each ``name.attr`` in ``node``; ``""`` for any other use of ``name``."""
    attrs: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> bool:
            if isinstance(n.value, cst.Name) and n.value.value == name:
                attrs.append(n.attr.value)
                return False
            return True

        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                attrs.append("")

    node.visit(Finder())
    return attrs


def why(node: cst.CSTNode, name: str) -> str:
    for attr in _attribute_calls(node, name):
        if attr in _WHY:
            return _WHY[attr]
        return (f"the cursor is used as {name}.{attr}" if attr else
                "the cursor is passed on or stored (only a local with-block is rewritten)")
    return "the cursor is used in a way the rewrite does not know"


class _Swap(cst.CSTTransformer):
    """Replaces ``cur.<attr>`` reads and ``cur.<method>()`` calls; parenthesizes awaits that
    end up in a tight spot."""

    def __init__(self, name: str, calls: dict[str, cst.BaseExpression],
                 attrs: dict[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.name, self.calls, self.attrs = name, calls, attrs

    def _mine(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and (
                node.value.value == self.name):
            return node.attr.value
        return None

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        attr = self._mine(original.func)
        if attr in self.calls and not original.args:
            return self.calls[attr]
        return _tight(updated, "func")

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> (
            cst.BaseExpression):
        attr = self._mine(original)
        if attr in self.attrs:
            return self.attrs[attr]
        return _tight(updated, "value")

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> (
            cst.BaseExpression):
        return _tight(updated, "value")


def _tight(node: cst.Call | cst.Attribute | cst.Subscript, field_name: str) -> (
        cst.Call | cst.Attribute | cst.Subscript):
    inner = getattr(node, field_name)
    if isinstance(inner, cst.Await) and not inner.lpar:
        return node.with_changes(**{field_name: inner.with_changes(
            lpar=[cst.LeftParen()], rpar=[cst.RightParen()])})
    return node


def _method_call(cursor: Cursor, method: str, args: list[cst.Arg]) -> cst.Await:
    func = cst.Attribute(cursor.conn.deep_clone(), cst.Name(method))
    return cst.Await(one_per_line(func, clean_commas(args)))


def _cursor_call(statement: cst.BaseStatement, name: str) -> cst.Call | None:
    """The call of a statement that is just ``cur.<method>(...)``."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        expr = statement.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
            func = expr.value.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and (
                    func.value.value == name):
                return expr.value
    return None


def _execute_args(cursor: Cursor, call: cst.Call) -> list[cst.Arg]:
    if len(call.args) not in (1, 2) or any(a.keyword or a.star for a in call.args):
        raise Unsupported("execute() with unusual arguments")
    params = call.args[1].value if len(call.args) == 2 else None
    return call_args(call.args[0].value, params, lambda: cursor.need("pg_args"))


def _callproc_args(call: cst.Call) -> list[cst.Arg]:
    """``cur.callproc('f', (a, b))`` → what psycopg2 itself ran: ``SELECT * FROM f($1, $2)``
    (the name is inserted as written; a dict of parameters becomes ``name := $n``)."""
    if not 1 <= len(call.args) <= 2 or any(a.keyword or a.star for a in call.args):
        raise Unsupported("callproc() with unusual arguments")
    name = literal(call.args[0].value)
    if name is None or not _PROCNAME.fullmatch(name):
        raise Unsupported("callproc() with a procedure name computed at run time")
    params = call.args[1].value if len(call.args) == 2 else None
    values: list[cst.BaseExpression] = []
    named: list[str] = []
    if isinstance(params, cst.Tuple | cst.List) and not any(
            isinstance(e, cst.StarredElement) for e in params.elements):
        values = [e.value for e in params.elements]
    elif isinstance(params, cst.Dict):
        for element in params.elements:
            key = literal(element.key) if isinstance(element, cst.DictElement) else None
            if key is None or not isinstance(element, cst.DictElement):
                raise Unsupported("callproc() with computed parameter names")
            named.append(key)
            values.append(element.value)
    elif params is not None and not is_none(params):
        raise Unsupported("callproc() with parameters built at run time (their number is "
                          "unknown): call SELECT * FROM f($1, …) yourself")
    slots = [f"{key} := ${n}" if named else f"${n}"
             for n, key in enumerate(named or [""] * len(values), 1)]
    query = cst.SimpleString(repr(f"SELECT * FROM {name}({', '.join(slots)})"))
    return [cst.Arg(query), *(cst.Arg(v) for v in values)]


def _several(call: cst.Call) -> bool:
    """Whether a literal query holds more than one SQL command."""
    text = literal(call.args[0].value) if call.args else None
    return text is not None and statement_count(text) > 1


def _rows(cursor: Cursor, fetched: cst.BaseExpression, one: bool, escapes: bool) -> (
        cst.BaseExpression):
    helper = {"dict": "dict_row" if one else "dict_rows",
              "tuple": "tuple_row" if one else "tuple_rows"}.get(cursor.rows)
    if helper is None or (cursor.rows == "tuple" and not escapes):
        return fetched
    return cst.Call(cst.Name(cursor.need(helper)), [cst.Arg(fetched)])


def convert(cursor: Cursor, body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The statements with every use of the cursor rewritten. :raises Unsupported:"""
    out: list[cst.BaseStatement] = []
    i = 0
    name = cursor.name
    while i < len(body):
        statement = body[i]
        call = _cursor_call(statement, name)
        method = call.func.attr.value if call is not None and isinstance(
            call.func, cst.Attribute) else None
        if call is not None and method in ("execute", "callproc"):
            args = (_execute_args(cursor, call) if method == "execute"
                    else _callproc_args(call))
            following = body[i + 1] if i + 1 < len(body) else None
            several = _several(call)
            text = literal(call.args[0].value) if call.args else None
            if text is not None and len(args) > 1 and UTILITY.match(text):
                raise FlaggedBy("ASY306", "parameters in a utility statement (SET, DDL, "
                                "NOTIFY) are a syntax error in asyncpg: use SELECT "
                                "set_config(name, $1, is_local) or quote the value")
            if several and len(args) > 1:
                raise Unsupported("several SQL statements with parameters: asyncpg prepares "
                                  "the query, and a prepared statement holds one command; "
                                  "split it into one execute per statement")
            taken = None if several else _consume(cursor, statement, args, following)
            if taken is not None:
                out.append(taken)
                i += 2
                continue
            i = _execute_alone(cursor, statement, args, body, i, out)
            continue
        if call is not None and method == "executemany":
            out.append(statement.with_changes(body=[cst.Expr(_many(cursor, call.args))]))
            i += 1
            continue
        statement = _bulk(cursor, statement)
        out.append(_nested(cursor, statement))
        i += 1
    return out


def _consume(cursor: Cursor, execute: cst.BaseStatement, args: list[cst.Arg],
             following: cst.BaseStatement | None) -> cst.BaseStatement | None:
    """The next statement reading the execute's rows, rewritten to fetch them itself."""
    if following is None:
        return None
    name = cursor.name
    attrs = _attribute_calls(following, name)
    if isinstance(following, cst.For) and isinstance(following.iter, cst.Name) and (
            following.iter.value == name):
        if uses(following.body, name) or following.orelse is not None:
            raise Unsupported("the loop over the cursor also uses the cursor")
        rows = _rows(cursor, _method_call(cursor, "fetch", args), one=False, escapes=False)
        new: cst.BaseStatement = following.with_changes(iter=rows)
    elif attrs in (["fetchone"], ["fetchall"]):
        one = attrs == ["fetchone"]
        returned = following.body[0] if isinstance(following, cst.SimpleStatementLine) else None
        escapes = isinstance(returned, cst.Return) and isinstance(returned.value, cst.Call) and (
            not returned.value.args)
        fetched = _method_call(cursor, "fetchrow" if one else "fetch", args)
        swapped = following.visit(_Swap(name, {attrs[0]: _rows(cursor, fetched, one, escapes)},
                                        {}))
        assert isinstance(swapped, cst.BaseStatement)
        new = swapped
    else:
        return None
    return new.with_changes(leading_lines=[*lines(execute), *lines(new)])


def _execute_alone(cursor: Cursor, statement: cst.BaseStatement, args: list[cst.Arg],
                   body: Sequence[cst.BaseStatement], i: int,
                   out: list[cst.BaseStatement]) -> int:
    """An execute whose rows nobody reads: ``await conn.execute(...)``, keeping its status
    string when ``cur.rowcount`` is read by the statements that follow."""
    name = cursor.name
    j = i + 1
    counted: list[cst.BaseStatement] = []
    while j < len(body):
        attrs = _attribute_calls(body[j], name)
        if attrs and set(attrs) != {"rowcount"}:
            break
        counted.append(body[j])
        j += 1
    call = _method_call(cursor, "execute", args)
    assert isinstance(statement, cst.SimpleStatementLine)
    if not any(_attribute_calls(s, name) for s in counted):
        out.append(statement.with_changes(body=[cst.Expr(call)]))
        return i + 1
    out.append(statement.with_changes(body=[cst.Assign(
        [cst.AssignTarget(cst.Name(STATUS))], call)]))
    count = cst.Call(cst.Name(cursor.need("rowcount")), [cst.Arg(cst.Name(STATUS))])
    for later in counted:
        swapped = later.visit(_Swap(name, {}, {"rowcount": count}))
        assert isinstance(swapped, cst.BaseStatement)
        out.append(_nested(cursor, swapped))
    return j


def _many(cursor: Cursor, args: Sequence[cst.Arg]) -> cst.Await:
    if len(args) < 2 or any(a.star for a in args[:2]):
        raise Unsupported("executemany() with unusual arguments")
    query, rows = args[0].value, args[1].value
    done = translated(query, rows)
    if done is None:
        raise Unsupported("executemany() with a query built at run time")
    new_query, translation = done
    if translation.style == "named":
        row = cst.Name("pg_row")
        item = cst.Tuple([cst.Element(cst.Subscript(row, [cst.SubscriptElement(cst.Index(
            cst.SimpleString(repr(n))))])) for n in translation.names])
        rows = cst.ListComp(item, cst.CompFor(target=row, iter=rows))
    return _method_call(cursor, "executemany", [cst.Arg(new_query), cst.Arg(rows)])


def _bulk(cursor: Cursor, statement: cst.BaseStatement) -> cst.BaseStatement:
    """``execute_batch(cur, q, rows)`` → ``await conn.executemany(q, rows)``;
    ``execute_values(cur, q, rows, …)`` → ``await execute_values(conn, q, rows, …)``."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return statement
    name = cursor.name

    class Bulk(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            kind = cursor.bulk(original)
            first = original.args[0].value if original.args else None
            if kind is None or not (isinstance(first, cst.Name) and first.value == name):
                return updated
            if kind == "execute_batch":
                return _many(cursor, [a for a in updated.args[1:] if a.keyword is None])
            text = literal(updated.args[1].value) if len(updated.args) > 1 else None
            if text is None or not text.lstrip().upper().startswith("INSERT"):
                cursor.todos.append("execute_values outside INSERT: the server infers the "
                                    "VALUES column types (text) where psycopg2 sent typed "
                                    "literals; add casts")
            args = [cst.Arg(cursor.conn.deep_clone()), *updated.args[1:]]
            return cst.Await(one_per_line(cst.Name(cursor.need("execute_values")),
                                          clean_commas(args)))

    new = statement.visit(Bulk())
    assert isinstance(new, cst.SimpleStatementLine)
    return new


def _nested(cursor: Cursor, statement: cst.BaseStatement) -> cst.BaseStatement:
    """Compound statements: their blocks are converted too."""
    if isinstance(statement, cst.SimpleStatementLine) or not uses(statement, cursor.name):
        return statement
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        raise Unsupported("the cursor is used inside a nested function or class")

    class Blocks(cst.CSTTransformer):
        def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
            return False

        def leave_IndentedBlock(self, original: cst.IndentedBlock,
                                updated: cst.IndentedBlock) -> cst.IndentedBlock:
            return updated.with_changes(body=convert(cursor, updated.body))

    new = statement.visit(Blocks())
    assert isinstance(new, cst.BaseStatement)
    return new
