"""ASY405: session I/O in async code is awaited (``AsyncSession`` methods are coroutines).

``execute``/``scalar``/``scalars``/``get``/``flush``/``commit``/``rollback``/``refresh``/
``merge``/``close`` and, the trap, ``delete``: an un-awaited ``session.delete(obj)`` deletes
nothing and only warns. ``add``/``add_all``/``expunge``/``expire`` stay sync, as on
``AsyncSession``. The receiver must be known to be a session (see ``_chain.is_session``).
"""

from __future__ import annotations

import libcst as cst

from .._engine import Pass
from .._rule import Example, Rule, dotted, register
from ._chain import SESSION_OPS, SYNC_DB_SESSION, note_imports, session_call

AWAITED = frozenset({
    "execute", "scalar", "scalars", "get", "get_one", "flush", "commit", "rollback",
    "refresh", "merge", "close", "delete", "connection", "stream", "stream_scalars",
})


@register
class AwaitSession(Rule):
    id = "ASY405"
    title = ("session.execute/scalars/get/flush/commit/rollback/refresh/delete inside async "
             "code are awaited; add/add_all stay sync")
    gate = frozenset()  # Flask-SQLAlchemy views reach db.session without importing sqlalchemy
    triggers = frozenset({"session.", "sess.", "s."})
    converts = frozenset(op for op in SESSION_OPS if not op.endswith(".query"))
    examples = (
        Example(
            "from flask import session\n\nasync def user_id():\n"
            "    return session.get('user_id')\n",
            "from flask import session\n\nasync def user_id():\n"
            "    return session.get('user_id')\n",
            why="Flask's cookie session is not a database session",
        ),
        Example(
            "import requests\n\nclass Client:\n    async def fetch(self, url):\n"
            "        return self.session.get(url)\n",
            "import requests\n\nclass Client:\n    async def fetch(self, url):\n"
            "        return self.session.get(url)\n",
            why="a file that does not use SQLAlchemy: self.session is likely a requests.Session",
        ),
        Example(
            "async def save(session, note):\n    session.add(note)\n"
            "    await session.commit()\n",
            "async def save(session, note):\n    session.add(note)\n"
            "    await session.commit()\n",
            why="add() stays sync on AsyncSession, and commit() is already awaited",
        ),
        Example(
            "from sqlalchemy import select\n\n"
            "async def remove(session, note_id):\n    note = session.get(Note, note_id)\n"
            "    session.delete(note)\n    session.commit()\n"
            "    return session.execute(select(Note.id)).scalars().all()\n",
            "from sqlalchemy import select\n\n"
            "async def remove(session, note_id):\n    note = await session.get(Note, note_id)\n"
            "    await session.delete(note)\n    await session.commit()\n"
            "    return (await session.execute(select(Note.id))).scalars().all()\n",
        ),
        Example(
            "from .extensions import db\n\nasync def search(text):\n"
            "    return await queries.search_notes(db.session, text)\n",
            "from .extensions import db\n\n"
            "# TODO[asyncify ASY405]: " + SYNC_DB_SESSION + " — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy405\n"
            "async def search(text):\n"
            "    return await queries.search_notes(db.session, text)\n",
        ),
        Example(
            "from .extensions import db\n\nasync def rename(note, title):\n"
            "    note.title = title\n    db.session.commit()\n",
            "from .extensions import db\n\n"
            "# TODO[asyncify ASY405]: " + SYNC_DB_SESSION + " — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy405\n"
            "async def rename(note, title):\n"
            "    note.title = title\n    await db.session.commit()\n",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        note_imports(self.p, node)

    def leave_Call(self, original: cst.Call,
                   updated: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule replaced it
        func = original.func
        if self.p.in_async() and self._functions and self._hands_db_session(original):
            self._functions[-1] = True
        if (not self.p.in_async() or not isinstance(func, cst.Attribute)
                or func.attr.value not in AWAITED or isinstance(self.p.parent(), cst.Await)):
            return updated
        if not session_call(self.p, original, func.value):
            return updated
        self.p.changed(self.id)
        if dotted(func.value) == "db.session" and self._functions:
            self._functions[-1] = True
        return self.p.awaited(original, updated)

    def _hands_db_session(self, original: cst.Call) -> bool:
        """``helper(db.session, …)`` awaited: the helper now expects an AsyncSession."""
        awaited = (isinstance(self.p.ancestor(1), cst.Await)
                   or self.p.position(original) in self.p.file.await_at)
        return awaited and any(dotted(a.value) == "db.session" for a in original.args)

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._functions: list[bool] = []  # per enclosing def: awaited a db.session call?

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(False)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        if self._functions.pop():
            marked: cst.FunctionDef = self.p.marked(self.id, original, SYNC_DB_SESSION, updated)
            return marked
        return updated
