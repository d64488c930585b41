"""ASY404: Flask-SQLAlchemy queries in async code → ``select()`` on ``db.session`` and the
``get_or_404``/``first_or_404``/``one_or_404``/``paginate`` helpers of ``asyncify.compat``.

Flask-SQLAlchemy has no async mode. ``Note.query.get_or_404(id)`` becomes
``await get_or_404(db.session, Note, id)``; ``Note.query.filter_by(...).first()`` becomes
``(await db.session.scalars(select(Note).filter_by(...).limit(1))).first()``;
``….paginate(page=p, per_page=n)`` becomes ``await paginate(db.session, select(Note)…,
page=p, per_page=n)``. The helpers run Flask-SQLAlchemy 3.1's SQL and raise its 404s.
``db.session`` must then be the request's ``AsyncSession``: each rewritten function gets a
TODO saying so (docs/sqlalchemy.md shows the per-request session).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .._engine import Pass
from .._rule import Example, Rule, register
from ._chain import SYNC_DB_SESSION, Step, call, keyword, receiver, unchain
from ._select import BUILDERS, run, statement, why_not

_HELPERS = {"get_or_404", "first_or_404", "one_or_404", "paginate"}
_SYNC_SESSION = SYNC_DB_SESSION
_EXTENSION = frozenset({"flask_sqlalchemy.SQLAlchemy", "flask_sqlalchemy.extension.SQLAlchemy"})


@register
class FlaskSQLAlchemyQueries(Rule):
    id = "ASY404"
    title = ("Flask-SQLAlchemy Model.query chains, get_or_404, first_or_404 and paginate "
             "inside async code become select() on db.session and asyncify.compat helpers")
    triggers = frozenset({".query.", "_or_404(", "paginate("})
    # Nothing counts as converted for await propagation: the output needs db.session to be
    # the request's AsyncSession, which only the migrated app can provide (the TODO says so).
    # Run the rule by recipe on code that is async already.
    converts = frozenset()
    examples = (
        Example(
            "from .extensions import db\n\ndef show(note_id):\n"
            "    return Note.query.get_or_404(note_id)\n",
            "from .extensions import db\n\ndef show(note_id):\n"
            "    return Note.query.get_or_404(note_id)\n",
            why="sync code keeps Flask-SQLAlchemy: only async functions are rewritten",
        ),
        Example(
            "async def show(note_id):\n    return Note.query.get_or_404(note_id)\n",
            "async def show(note_id):\n    return Note.query.get_or_404(note_id)\n",
            why="no db in the module to take the session from: left for the endpoint migration",
        ),
        Example(
            "from .extensions import db\n\nasync def listing(page):\n"
            "    return Note.query.order_by(Note.id).paginate(page=page, per_page=20)\n",
            "from sqlalchemy import select\nfrom asyncify.compat import paginate\n"
            "from .extensions import db\n\n"
            "# TODO[asyncify ASY404]: " + _SYNC_SESSION + " — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy404\n"
            "async def listing(page):\n"
            "    return await paginate(db.session, select(Note).order_by(Note.id), "
            "page=page, per_page=20)\n",
        ),
        Example(
            "from .extensions import db\n\nasync def show(note_id, name):\n"
            "    note = Note.query.get_or_404(note_id)\n"
            "    tag = Tag.query.filter_by(name=name).first_or_404(description='no tag')\n"
            "    user = db.get_or_404(User, note.author_id)\n"
            "    owner = User.query.filter_by(id=1).first()\n"
            "    return note, tag, user, owner\n",
            "from sqlalchemy import select\n"
            "from asyncify.compat import first_or_404, get_or_404\nfrom .extensions import db\n\n"
            "# TODO[asyncify ASY404]: " + _SYNC_SESSION + " — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy404\n"
            "async def show(note_id, name):\n"
            "    note = await get_or_404(db.session, Note, note_id)\n"
            "    tag = await first_or_404(db.session, select(Tag).filter_by(name=name).limit(1), "
            "description='no tag')\n"
            "    user = await get_or_404(db.session, User, note.author_id)\n"
            "    owner = (await db.session.scalars(select(User).filter_by(id=1).limit(1)))"
            ".first()\n"
            "    return note, tag, user, owner\n",
        ),
        Example(
            "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy(app)\n\n\n"
            "async def show(note_id):\n    return Note.query.get_or_404(note_id)\n",
            "from flask_sqlalchemy import SQLAlchemy\nfrom sqlalchemy import select\n"
            "from asyncify.compat import get_or_404\n\n"
            "db = SQLAlchemy(app)\n\n\n"
            "# TODO[asyncify ASY404]: " + _SYNC_SESSION + " — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy404\n"
            "async def show(note_id):\n    return await get_or_404(db.session, Note, note_id)\n",
        ),
        Example(
            "from .extensions import db\n\nasync def listing():\n"
            "    return Note.query.paginate()\n",
            "from .extensions import db\n\nasync def listing():\n"
            "    # TODO[asyncify ASY404]: paginate() without page= and per_page= reads them from "
            "the Flask request: pass them explicitly — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy404\n"
            "    return Note.query.paginate()\n",
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._rewritten: list[bool] = []
        self._db_made_here = False

    def visit_Assign(self, node: cst.Assign) -> None:
        # ``db = SQLAlchemy(app)`` beside the models and views (a single-module app): the
        # module's own ``db``, as good as one imported from an extensions module.
        if (not self._rewritten and len(node.targets) == 1
                and isinstance(node.targets[0].target, cst.Name)
                and node.targets[0].target.value == "db" and isinstance(node.value, cst.Call)
                and self.p.qualified(node.value.func) & _EXTENSION):
            self._db_made_here = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._rewritten.append(False)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        if self._rewritten.pop():
            marked: cst.FunctionDef = self.p.marked(self.id, original, _SYNC_SESSION, updated)
            return marked
        return updated

    def leave_Call(self, original: cst.Call,
                   updated: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule replaced it
        if not self.p.in_async() or isinstance(self.p.parent(), cst.Attribute):
            return updated
        base, steps = unchain(original)
        if not steps:
            return updated
        terminal = steps[-1]
        if _names(base, "db") and len(steps) == 1 and terminal.method in _HELPERS:
            return self._db_helper(original, updated)
        if not (isinstance(base, cst.Attribute) and base.attr.value == "query"
                and isinstance(base.value, cst.Name) and base.value.value[:1].isupper()):
            return updated
        if not (self.p.qualified(cst.Name("db")) or self._db_made_here):
            return updated
        session = cst.parse_expression("db.session")
        _, new_steps = unchain(updated)
        head = cst.Call(cst.Name("select"), [cst.Arg(base.value)])
        builders = new_steps[:-1]
        if terminal.method in _HELPERS:
            return self._query_helper(original, updated, session, head, builders)
        problem = why_not(head, steps[:-1], terminal)
        if problem is not None:
            self.p.todo(self.id, original, problem)
            return updated
        self._rewrote()
        return run(self.p, updated, session, head, builders, new_steps[-1])

    def _rewrote(self) -> None:
        self.p.changed(self.id)
        if self._rewritten:
            self._rewritten[-1] = True

    def _query_helper(self, original: cst.Call, updated: cst.Call, session: cst.BaseExpression,
                      head: cst.Call, builders: list[Step]) -> cst.BaseExpression:
        name = _method(updated)
        odd = [s.method for s in builders if s.method not in BUILDERS]
        if odd or (name == "get_or_404" and builders):
            self.p.todo(self.id, original, f"Query.{(odd or ['filter'])[0]}() before {name}(): "
                        "rewrite this query with select() and asyncify.compat." + name)
            return updated
        if name == "paginate" and not (keyword(updated, "page") and keyword(updated, "per_page")):
            self.p.todo(self.id, original, "paginate() without page= and per_page= reads them "
                        "from the Flask request: pass them explicitly")
            return updated
        stmt = statement(head, builders)
        self.p.need_import("sqlalchemy", "select")
        if name == "get_or_404":
            args = [cst.Arg(session), cst.Arg(head.args[0].value), *_clean(updated.args)]
        elif name == "first_or_404":
            limited = call(cst.Attribute(stmt, cst.Name("limit")), cst.Integer("1"))
            args = [cst.Arg(session), cst.Arg(limited), *_clean(updated.args)]
        else:
            args = [cst.Arg(session), cst.Arg(stmt), *_clean(updated.args)]
        return self._helper(original, name, args)

    def _db_helper(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = _method(updated)
        if name == "paginate" and not (keyword(updated, "page") and keyword(updated, "per_page")):
            self.p.todo(self.id, original, "paginate() without page= and per_page= reads them "
                        "from the Flask request: pass them explicitly")
            return updated
        db = receiver(updated)
        session = cst.Attribute(db, cst.Name("session"))
        return self._helper(original, name, [cst.Arg(session), *_clean(updated.args)])

    def _helper(self, original: cst.Call, name: str, args: list[cst.Arg]) -> cst.BaseExpression:
        self.p.need_import("asyncify.compat", name)
        self._rewrote()
        return self.p.awaited(original, cst.Call(cst.Name(name), _clean(args)))


def _method(node: cst.Call) -> str:
    assert isinstance(node.func, cst.Attribute)
    return node.func.attr.value


def _names(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _clean(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Arguments with normal commas (the last one without)."""
    out = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
           for a in args]
    if out:
        out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return out
