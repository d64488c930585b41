"""ASY306: TODOs where asyncpg's server-side binding breaks queries psycopg2 ran (§2a, §2f).

psycopg2 interpolated quoted literals client-side and let the server coerce them; asyncpg
binds typed parameters. Never rewritten, flagged on cursor ``execute`` calls in async code:
parameters in utility statements (``SET``, DDL, ``NOTIFY``: a syntax error in asyncpg),
naive datetimes (a timestamptz shifts by the client's zone offset), string-typed values
from requests/the environment or numeric/date-looking string literals (``DataError`` for
non-text columns), and ``psycopg2.sql.Literal`` (``compat.pg_args`` renders ``SQL``,
``Identifier`` and ``Placeholder`` compositions at run time, but a ``Literal`` of a type it
cannot quote without a psycopg2 connection would fail there).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

import libcst as cst

from ...check.rules.asy640_sql_formatting import formatted
from .._rule import Example, Rule, register
from ..propagation.keep import keep
from ._query import UTILITY, literal
from .cursors import set_local

if TYPE_CHECKING:
    from .._engine import Pass

_LOOKS_TYPED = re.compile(r"-?\d+(\.\d+)?|\d{4}-\d{2}-\d{2}.*|true|false", re.IGNORECASE)
_NAIVE = {"datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
          "datetime.datetime.fromisoformat", "datetime.datetime.strptime",
          "datetime.datetime.fromtimestamp", "datetime.datetime"}
_STRINGS = ("flask.request.args", "flask.request.form", "flask.request.values",
            "flask.request.headers", "flask.request.cookies", "os.environ", "os.getenv")


@register
class Parameters(Rule):
    id = "ASY306"
    title = ("TODO where asyncpg binds differently: parameters in SET/DDL, naive datetimes, "
             "string-typed values, psycopg2.sql.Literal")
    gate = frozenset({"psycopg2"})
    triggers = frozenset({"execute", "sql."})
    examples = (
        Example(
            "import psycopg2\n\nasync def by_status(conn, status):\n"
            "    with conn.cursor() as cur:\n"
            "        cur.execute('SELECT id FROM orders WHERE status = %s', (status,))\n",
            "import psycopg2\n\nasync def by_status(conn, status):\n"
            "    with conn.cursor() as cur:\n"
            "        cur.execute('SELECT id FROM orders WHERE status = %s', (status,))\n",
            why="a parameter of unknown type: nothing visible to flag",
        ),
        Example(
            "import psycopg2\n\nasync def limit(conn, timeout):\n    with conn.cursor() as cur:\n"
            "        cur.execute('SET statement_timeout = %s', (timeout,))\n",
            "import psycopg2\n\nasync def limit(conn, timeout):\n    with conn.cursor() as cur:\n"
            "        # TODO[asyncify ASY306]: parameters in a utility statement (SET, DDL, NOTIFY) "
            "are a syntax error in asyncpg: use SELECT set_config(name, $1, is_local) or "
            "quote the value — https://asyncify.readthedocs.io/en/latest/rules/#asy306\n"
            "        cur.execute('SET statement_timeout = %s', (timeout,))\n",
        ),
        Example(
            "import psycopg2\nfrom datetime import datetime\n\nasync def stamp(conn):\n"
            "    with conn.cursor() as cur:\n"
            "        cur.execute('UPDATE t SET seen = %s', (datetime.now(),))\n",
            "import psycopg2\nfrom datetime import datetime\n\nasync def stamp(conn):\n"
            "    with conn.cursor() as cur:\n"
            "        # TODO[asyncify ASY306]: a naive datetime: psycopg2 read it in the server "
            "session's TimeZone, asyncpg in this process's local zone (for timestamptz); pass "
            "an aware datetime — https://asyncify.readthedocs.io/en/latest/rules/#asy306\n"
            "        cur.execute('UPDATE t SET seen = %s', (datetime.now(),))\n",
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self.cursors: set[str] = set()
        self.params: list[frozenset[str]] = []  # of each enclosing function

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        self.params.append(frozenset(
            p.name.value for p in [*params.posonly_params, *params.params,
                                   *params.kwonly_params]
        ) | frozenset(p.name.value for p in (params.star_arg, params.star_kwarg)
                      if isinstance(p, cst.Param)))

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        self.params.pop()
        return updated

    def visit_WithItem(self, node: cst.WithItem) -> None:
        call = node.item
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "cursor" and node.asname is not None
                and isinstance(node.asname.name, cst.Name)):
            self.cursors.add(node.asname.name.value)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if not self.p.in_async():
            return updated
        if "psycopg2.sql.Literal" in self.p.qualified(original.func):
            why = ("psycopg2.sql.Literal is rendered without a psycopg2 connection only for "
                   "str, numbers, bool and None: pass the value as a parameter")
            self.p.todo(self.id, original, why)
            keep(self.p, self.id, why)
            return updated
        func = original.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "execute"
                and isinstance(func.value, cst.Name) and func.value.value in self.cursors
                and len(original.args) in (1, 2)):
            return updated
        how = self._formatted(original.args[0].value)
        if how is not None:
            self.p.todo(self.id, original, f"SQL built by {how}: the values are spliced into "
                        "the text, as before (not made parameters: that could change what "
                        "the query means); an injection risk — pass them as parameters")
        if len(original.args) != 2:
            return updated
        query, params = original.args[0].value, original.args[1].value
        text = literal(query)
        if text is not None and UTILITY.match(text) and set_local(text) is None:
            why = ("parameters in a utility statement (SET, DDL, NOTIFY) are a syntax error in "
                   "asyncpg: use SELECT set_config(name, $1, is_local) or quote the value")
            self.p.todo(self.id, original, why)
            keep(self.p, self.id, why)
        values = ([e.value for e in params.elements] if isinstance(params, cst.Tuple | cst.List)
                  else [e.value for e in params.elements if isinstance(e, cst.DictElement)]
                  if isinstance(params, cst.Dict) else [])
        for value in values:
            self._check(original, value)
        return updated

    def _formatted(self, query: cst.BaseExpression) -> str | None:
        """How the query text splices in values (``asyncify check`` ASY640 says the same)."""
        if not isinstance(query, cst.FormattedString | cst.BinaryOperation | cst.Call):
            return None
        try:
            tree = ast.parse(cst.Module([]).code_for_node(query).strip(), mode="eval")
        except SyntaxError:
            return None
        return formatted(tree.body, self.params[-1] if self.params else frozenset())

    def _check(self, call: cst.Call, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Call):
            names = self.p.qualified(value.func)
            tz = any(a.keyword and a.keyword.value in ("tz", "tzinfo") for a in value.args)
            if names & _NAIVE and not tz and not (
                    "datetime.datetime" in names and len(value.args) >= 8):
                self.p.todo(self.id, call, "a naive datetime: psycopg2 read it in the server "
                            "session's TimeZone, asyncpg in this process's local zone (for "
                            "timestamptz); pass an aware datetime")
                return
        text = literal(value)
        source = value.value if isinstance(value, cst.Subscript) else (
            value.func.value if isinstance(value, cst.Call) and isinstance(
                value.func, cst.Attribute) else value)
        stringy = any(q.startswith(_STRINGS) for q in self.p.qualified(source)) or (
            isinstance(value, cst.Call) and "builtins.str" in self.p.qualified(value.func)) or (
            text is not None and _LOOKS_TYPED.fullmatch(text) is not None)
        if stringy:
            self.p.todo(self.id, call, "a string-typed parameter: psycopg2 let the server "
                        "coerce it, asyncpg raises DataError for a non-text column; convert it "
                        "in Python (int(), Decimal(), date.fromisoformat())")
