"""ASY402: ``Session``/``sessionmaker`` → ``AsyncSession``/``async_sessionmaker`` with
``expire_on_commit=False``, ``with`` → ``async with`` in async code, and ``Session``
annotations → ``AsyncSession``.

Reading an attribute expired by ``commit()`` would lazy-load it, which raises
``MissingGreenlet`` under asyncio; ``expire_on_commit=False`` keeps the pre-commit values
(use ``await session.refresh(obj)`` where the database computes new ones). A factory that sets
``expire_on_commit`` or ``class_`` itself gets a TODO instead.
"""

from __future__ import annotations

import libcst as cst

from .._engine import Pass
from .._rule import Example, Rule, register
from ._chain import is_session, keyword, note_imports

_MAKERS = {"sqlalchemy.orm.sessionmaker": "async_sessionmaker",
           "sqlalchemy.orm.Session": "AsyncSession"}
_SESSION = "sqlalchemy.orm.Session"


@register
class AsyncSessions(Rule):
    id = "ASY402"
    title = ("Session/sessionmaker become AsyncSession/async_sessionmaker(expire_on_commit="
             "False); with → async with inside async code; Session annotations → AsyncSession")
    gate = frozenset({"sqlalchemy"})
    triggers = frozenset({"Session", "sessionmaker"})
    async_only = False
    examples = (
        Example(
            "from sqlalchemy.orm import sessionmaker\n\n"
            "Factory = sessionmaker(engine, expire_on_commit=True)\n",
            "from sqlalchemy.orm import sessionmaker\n\n"
            "# TODO[asyncify ASY402]: expire_on_commit=True: reading an attribute after "
            "commit() raises MissingGreenlet under asyncio; set it to False and refresh where "
            "needed — https://asyncify.readthedocs.io/en/latest/rules/#asy402\n"
            "Factory = sessionmaker(engine, expire_on_commit=True)\n",
        ),
        Example(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "async def count(session: AsyncSession):\n    async with session.begin():\n"
            "        pass\n",
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "async def count(session: AsyncSession):\n    async with session.begin():\n"
            "        pass\n",
            why="already asyncio",
        ),
        Example(
            "from sqlalchemy.orm import Session, sessionmaker\n\n"
            "SessionLocal = sessionmaker(bind=engine)\n\n"
            "async def names(session: Session | None = None):\n"
            "    with SessionLocal() as s, s.begin():\n        return s\n",
            "from sqlalchemy.orm import Session, sessionmaker\n"
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n\n"
            "SessionLocal = async_sessionmaker(bind=engine, expire_on_commit=False)\n\n"
            "async def names(session: AsyncSession | None = None):\n"
            "    async with SessionLocal() as s, s.begin():\n        return s\n",
        ),
        Example(
            "from sqlalchemy.orm import Session\n\nasync def run(engine):\n"
            "    with Session(engine) as session:\n        return session\n",
            "from sqlalchemy.orm import Session\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\nasync def run(engine):\n"
            "    async with AsyncSession(engine, expire_on_commit=False) as session:\n"
            "        return session\n",
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._factories: set[str] = set()
        self._annotation = 0

    def visit_Assign(self, node: cst.Assign) -> None:
        if (isinstance(node.value, cst.Call)
                and self.p.qualified(node.value.func) & {"sqlalchemy.orm.sessionmaker"}):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._factories.add(target.target.value)

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self._annotation += 1

    def leave_Annotation(self, original: cst.Annotation,
                         updated: cst.Annotation) -> cst.Annotation:
        self._annotation -= 1
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if self._annotation and _SESSION in self.p.qualified(original):
            return self._async_name(updated, "AsyncSession")
        return updated

    def leave_Attribute(self, original: cst.Attribute,
                        updated: cst.Attribute) -> cst.BaseExpression:
        if self._annotation and _SESSION in self.p.qualified(original):
            return self._async_name(cst.Name("AsyncSession"), "AsyncSession")
        return updated

    def _async_name(self, node: cst.Name, name: str) -> cst.Name:
        self.p.need_import("sqlalchemy.ext.asyncio", name)
        self.p.changed(self.id)
        return node.with_changes(value=name)

    def visit_Module(self, node: cst.Module) -> None:
        note_imports(self.p, node)

    def leave_Call(self, original: cst.Call,
                   updated: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule replaced it
        found = self.p.qualified(original.func) & set(_MAKERS)
        if not found:
            return updated
        expire = keyword(updated, "expire_on_commit")
        if keyword(updated, "class_") is not None:
            self.p.todo(self.id, original, "a custom class_: make it an AsyncSession subclass")
            return updated
        if expire is not None:
            if not (isinstance(expire.value, cst.Name) and expire.value.value == "False"):
                self.p.todo(self.id, original, "expire_on_commit=True: reading an attribute after "
                            "commit() raises MissingGreenlet under asyncio; set it to False and "
                            "refresh where needed")
                return updated
            args = list(updated.args)
        else:
            args = [*updated.args[:-1], updated.args[-1].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))] if updated.args else []
            args.append(cst.Arg(cst.Name("False"), keyword=cst.Name("expire_on_commit"),
                                equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                      cst.SimpleWhitespace(""))))
        name = _MAKERS[found.pop()]
        self.p.need_import("sqlalchemy.ext.asyncio", name)
        self.p.changed(self.id)
        return updated.with_changes(func=cst.Name(name), args=args)

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.With:
        if not self.p.in_async() or updated.asynchronous is not None:
            return updated
        if not all(self._session_cm(item.item) for item in original.items):
            return updated
        self.p.changed(self.id)
        return updated.with_changes(asynchronous=cst.Asynchronous())

    def _session_cm(self, node: cst.BaseExpression) -> bool:
        """``Factory()``, ``Factory.begin()``, ``Session(engine)``, ``session.begin()``."""
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        if isinstance(func, cst.Name):
            return func.value in self._factories or bool(self.p.qualified(func) & set(_MAKERS))
        if isinstance(func, cst.Attribute) and func.attr.value in {"begin", "begin_nested"}:
            owner = func.value
            return ((isinstance(owner, cst.Name) and owner.value in self._factories)
                    or is_session(self.p, owner))
        return False
