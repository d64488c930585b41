"""ASY305: psycopg2's parameter wrappers in async code → the plain values asyncpg takes.

``Json(obj)`` → ``json.dumps(obj)`` (``Json(obj, dumps=f)`` → ``f(obj)``): the JSON text
psycopg2 sent, which the json/jsonb codec of ``create_db_pool``/``connect_db`` passes through
unchanged (a bare dict would be ``json.dumps``-ed too, but a str is JSON text, as with
psycopg2). ``Binary(b)`` → ``b`` (asyncpg binds bytes as bytea).
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register

_JSON = {"psycopg2.extras.Json", "psycopg2._json.Json"}
_BINARY = {"psycopg2.Binary", "psycopg2.extensions.Binary"}


@register
class Adapters(Rule):
    id = "ASY305"
    title = ("psycopg2 Json()/Binary() parameter wrappers inside async code become the JSON "
             "text / bytes asyncpg binds")
    gate = frozenset({"psycopg2"})
    triggers = frozenset({"Json", "Binary"})
    examples = (
        Example(
            "from psycopg2.extras import Json\n\ndef row(data):\n    return (Json(data),)\n",
            "from psycopg2.extras import Json\n\ndef row(data):\n    return (Json(data),)\n",
            why="sync code keeps psycopg2",
        ),
        Example(
            "from psycopg2.extras import Json\n\nasync def save(conn, data):\n"
            "    await conn.execute('INSERT INTO docs (body) VALUES ($1)', Json(data))\n",
            "from psycopg2.extras import Json\nimport json\n\nasync def save(conn, data):\n"
            "    await conn.execute('INSERT INTO docs (body) VALUES ($1)', json.dumps(data))\n",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.p.in_async() or not isinstance(updated, cst.Call):
            return updated  # another rule already replaced the call (e.g. with an await)
        names = self.p.qualified(original.func)
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        if names & _BINARY and len(updated.args) == 1 and positional:
            self.p.changed(self.id)
            return positional[0].value
        if not names & _JSON or len(positional) != 1:
            return updated
        dumps = next((a.value for a in updated.args if a.keyword and a.keyword.value == "dumps"),
                     None)
        if len(updated.args) > 1 + (dumps is not None):
            return updated
        if dumps is None:
            self.p.need_import("json")
            dumps = cst.parse_expression("json.dumps")
        self.p.changed(self.id)
        return cst.Call(dumps, [positional[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
