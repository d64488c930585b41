"""ASY407: sync-only SQLAlchemy APIs in async code run through ``run_sync``.

``metadata.create_all(engine)`` / ``drop_all`` / ``reflect`` become
``await run_sync(engine, metadata.create_all)`` (``asyncify.compat.run_sync``: one
transaction on ``engine.begin()``, as the sync call had). ``inspect(engine)`` and
Flask-SQLAlchemy's ``db.create_all()`` (which needs the app's sync engine) get a TODO.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register

_METADATA = {"create_all", "drop_all", "reflect"}


@register
class RunSync(Rule):
    id = "ASY407"
    title = ("metadata.create_all/drop_all/reflect(engine) inside async code become await "
             "run_sync(engine, metadata.create_all); inspect() gets a TODO")
    gate = frozenset({"sqlalchemy", "flask_sqlalchemy"})
    triggers = frozenset({"create_all", "drop_all", "reflect", "inspect"})
    examples = (
        Example(
            "def setup(engine):\n    Base.metadata.create_all(engine)\n",
            "def setup(engine):\n    Base.metadata.create_all(engine)\n",
            why="sync code keeps its engine: only async functions are rewritten",
        ),
        Example(
            "from sqlalchemy import inspect\n\nasync def setup(engine):\n"
            "    Base.metadata.create_all(engine, checkfirst=True)\n"
            "    return inspect(engine).get_table_names()\n",
            "from sqlalchemy import inspect\nfrom asyncify.compat import run_sync\n\n"
            "async def setup(engine):\n"
            "    await run_sync(engine, Base.metadata.create_all, checkfirst=True)\n"
            "    # TODO[asyncify ASY407]: inspect() is sync-only: await run_sync(engine, "
            "lambda conn: inspect(conn)...) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy407\n"
            "    return inspect(engine).get_table_names()\n",
        ),
    )

    def leave_Call(self, original: cst.Call,
                   updated: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule replaced it
        if not self.p.in_async():
            return updated
        func = updated.func
        if "sqlalchemy.inspect" in self.p.qualified(original.func):
            self.p.todo(self.id, original, "inspect() is sync-only: await run_sync(engine, "
                        "lambda conn: inspect(conn)...)")
            return updated
        if not (isinstance(func, cst.Attribute) and func.attr.value in _METADATA):
            return updated
        owner = func.value
        if isinstance(owner, cst.Name) and owner.value == "db":
            self.p.todo(self.id, original, f"db.{func.attr.value}() uses Flask-SQLAlchemy's sync "
                        f"engine: await run_sync(async_engine, Base.metadata.{func.attr.value})")
            return updated
        if not ((isinstance(owner, cst.Attribute) and owner.attr.value == "metadata")
                or (isinstance(owner, cst.Name) and owner.value == "metadata")):
            return updated
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        if len(positional) != 1 or any(a.star for a in updated.args):
            self.p.todo(self.id, original, "no engine argument: await run_sync(engine, "
                        f"metadata.{func.attr.value})")
            return updated
        bind = positional[0]
        rest = [a for a in updated.args if a is not bind]
        self.p.need_import("asyncify.compat", "run_sync")
        self.p.changed(self.id)
        args = [bind.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(func, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                        if rest else cst.MaybeSentinel.DEFAULT),
                *rest]
        return self.p.awaited(original, cst.Call(cst.Name("run_sync"), args))
