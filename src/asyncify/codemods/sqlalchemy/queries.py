"""ASY403: legacy ``session.query(...)`` chains in async code → ``select()`` 2.0 style.

``AsyncSession`` has no ``query``. ``session.query(Note).filter_by(x=1).all()`` becomes
``(await session.scalars(select(Note).filter_by(x=1))).all()``: ``scalars`` for a single
mapped class (the rows are objects, as with ``Query``), ``execute`` for columns or several
entities (Row tuples, as with ``Query``). ``first()`` keeps its ``LIMIT 1``, ``count()`` its
``SELECT count(*) FROM (…)``, ``scalar()`` its error on several rows, ``get(id)`` becomes
``await session.get(Model, id)``, bulk ``delete()``/``update(values)`` become ORM-enabled
``sqlalchemy.delete()``/``update()`` statements (their ``rowcount``), and a collection
``joinedload`` gets the ``.unique()`` that ``select()`` requires. Anything else gets a TODO.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._chain import is_session, note_imports, receiver, unchain
from ._select import KEPT, run, why_not


@register
class SessionQuery(Rule):
    id = "ASY403"
    title = ("session.query(...) chains inside async code become select() run with "
             "await session.scalars()/execute(), returning what Query returned")
    gate = frozenset({"sqlalchemy"})
    triggers = frozenset({".query("})
    converts = frozenset({
        "sqlalchemy.orm.Session.query", "sqlalchemy.orm.Query.all",
        "sqlalchemy.orm.Query.first", "sqlalchemy.orm.Query.one",
        "sqlalchemy.orm.Query.one_or_none", "sqlalchemy.orm.Query.scalar",
        "sqlalchemy.orm.Query.count", "sqlalchemy.orm.Query.get",
        "sqlalchemy.orm.Query.delete", "sqlalchemy.orm.Query.update",
    })
    examples = (
        Example(
            "from sqlalchemy.orm import Session\n\ndef titles(session):\n"
            "    return session.query(Note).all()\n",
            "from sqlalchemy.orm import Session\n\ndef titles(session):\n"
            "    return session.query(Note).all()\n",
            why="sync code keeps its Session: only async functions are rewritten",
        ),
        Example(
            "import sqlalchemy\n\nasync def pending(queue):\n"
            "    return queue.query('jobs').all()\n",
            "import sqlalchemy\n\nasync def pending(queue):\n"
            "    return queue.query('jobs').all()\n",
            why="the receiver is not known to be a session",
        ),
        Example(
            "from sqlalchemy.orm import Session\n\nasync def recent(session, limit):\n"
            "    return (\n        session.query(Note)\n        .filter(Note.pinned)\n"
            "        .order_by(Note.id)\n        .limit(limit)\n        .all()\n    )\n",
            "from sqlalchemy.orm import Session\nfrom sqlalchemy import select\n\n"
            "async def recent(session, limit):\n"
            "    return (\n        (await session.scalars(select(Note)\n"
            "        .filter(Note.pinned)\n        .order_by(Note.id)\n"
            "        .limit(limit))).all()\n    )\n",
        ),
        Example(
            "from sqlalchemy.orm import Session\n\nasync def first_pinned(session):\n"
            "    return session.query(Note).filter_by(pinned=True).first()\n",
            "from sqlalchemy.orm import Session\nfrom sqlalchemy import select\n\n"
            "async def first_pinned(session):\n"
            "    return (await session.scalars(select(Note).filter_by(pinned=True)"
            ".limit(1))).first()\n",
        ),
        Example(
            "from sqlalchemy import func\n\nasync def report(session):\n"
            "    rows = session.query(Tag.name, func.count(Tag.id)).group_by(Tag.name).all()\n"
            "    total = session.query(Note).filter(Note.pinned).count()\n"
            "    note = session.query(Note).get(1)\n"
            "    return rows, total, note\n",
            "from sqlalchemy import func, select\n\nasync def report(session):\n"
            "    rows = (await session.execute(select(Tag.name, func.count(Tag.id))"
            ".group_by(Tag.name))).all()\n"
            "    total = await session.scalar(select(func.count()).select_from("
            "select(Note).filter(Note.pinned).subquery()))\n"
            "    note = await session.get(Note, 1)\n"
            "    return rows, total, note\n",
        ),
        Example(
            "from sqlalchemy.orm import joinedload\n\nasync def with_tags(session):\n"
            "    return session.query(Note).options(joinedload(Note.tags)).all()\n",
            "from sqlalchemy.orm import joinedload\nfrom sqlalchemy import select\n\n"
            "async def with_tags(session):\n"
            "    return (await session.scalars(select(Note).options(joinedload(Note.tags))))"
            ".unique().all()\n",
        ),
        Example(
            "import sqlalchemy\n\nasync def purge(session):\n"
            "    gone = session.query(Note).filter_by(pinned=False).delete()\n"
            "    session.query(Note).filter(Note.id > 3).update({Note.pinned: True}, "
            "synchronize_session=False)\n"
            "    return gone\n",
            "import sqlalchemy\n\nasync def purge(session):\n"
            "    gone = (await session.execute(sqlalchemy.delete(Note).filter_by(pinned=False)))"
            ".rowcount\n"
            "    (await session.execute(sqlalchemy.update(Note).filter(Note.id > 3)"
            ".values({Note.pinned: True}).execution_options(synchronize_session=False)))"
            ".rowcount\n"
            "    return gone\n",
        ),
        Example(
            "import sqlalchemy\n\nasync def names(session):\n"
            "    return [n.title for n in session.query(Note).order_by(Note.id).yield_per(10)]\n",
            "import sqlalchemy\n\nasync def names(session):\n"
            "    # TODO[asyncify ASY403]: Query.yield_per() has no mechanical AsyncSession "
            "equivalent (iteration → (await session.scalars(select(...))).all(); streaming → "
            "await session.stream_scalars(select(...))) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy403\n"
            "    return [n.title for n in session.query(Note).order_by(Note.id).yield_per(10)]\n",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        note_imports(self.p, node)

    def leave_Call(self, original: cst.Call,
                   updated: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule replaced it
        if not self.p.in_async() or isinstance(self.p.parent(), cst.Attribute):
            return updated  # not the end of a chain (``….filter(...)`` inside ``….all()``)
        _, steps = unchain(original)
        head_at = next((i for i, s in enumerate(steps) if s.method == "query"), None)
        if head_at is None or head_at != 0 or not steps[0].call.args:
            return updated
        head = steps[0].call
        session = receiver(head)
        # The chain's calls share one position: the index may have kept the terminal's op.
        site = self.p.site(head)
        if not (site.startswith(("sqlalchemy.orm.Session.", "sqlalchemy.orm.Query."))
                if site is not None else is_session(self.p, session)):
            return updated
        if len(steps) < 2:
            self.p.todo(self.id, original, KEPT)
            return updated
        problem = why_not(head, steps[1:-1], steps[-1])
        if problem is not None:
            self.p.todo(self.id, original, problem)
            return updated
        _, new_steps = unchain(updated)
        self.p.changed(self.id)
        return run(self.p, updated, receiver(new_steps[0].call), new_steps[0].call,
                   new_steps[1:-1], new_steps[-1])
