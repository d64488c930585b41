"""Shared by the ASY4xx rules: which receivers are sessions, and ``a.b(x).c(y)`` chains."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from .._engine import Pass
from .._rule import dotted

SYNC_DB_SESSION = ("db.session is Flask-SQLAlchemy's sync session: in async code it must be the "
                   "request's AsyncSession (docs/sqlalchemy.md, 'db.session')")
# Names a SQLAlchemy session usually goes by, when the index cannot say (no project context).
SESSION_NAMES = frozenset({"session", "db_session", "dbsession", "sess", "s"})
# Catalog operations that say "this call is on a Session" (from the project index).
SESSION_OPS = frozenset({
    "sqlalchemy.orm.Session.execute", "sqlalchemy.orm.Session.scalar",
    "sqlalchemy.orm.Session.scalars", "sqlalchemy.orm.Session.get",
    "sqlalchemy.orm.Session.get_one", "sqlalchemy.orm.Session.refresh",
    "sqlalchemy.orm.Session.merge", "sqlalchemy.orm.Session.connection",
    "sqlalchemy.orm.Session.commit", "sqlalchemy.orm.Session.flush",
    "sqlalchemy.orm.Session.rollback", "sqlalchemy.orm.Session.close",
    "sqlalchemy.orm.Session.delete", "sqlalchemy.orm.Session.query",
})


def note_imports(p: Pass, module: cst.Module) -> None:
    """Remember whether the file uses SQLAlchemy: it imports ``sqlalchemy`` or
    ``flask_sqlalchemy``, or a name ``db`` (the Flask-SQLAlchemy convention). Without that,
    a ``self.session`` or ``session`` is more likely a ``requests.Session``. Several rules
    call it; the first one decides for the file."""
    if "sqlalchemy_file" in p.scratch:
        return
    found = False
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                found |= any((dotted(a.name) or "").split(".")[0] in _PACKAGES
                             for a in small.names)
            elif isinstance(small, cst.ImportFrom):
                module_name = dotted(small.module) if small.module is not None else ""
                found |= (module_name or "").split(".")[0] in _PACKAGES
                if not isinstance(small.names, cst.ImportStar):
                    found |= any(dotted(a.name) == "db" for a in small.names)
    p.scratch["sqlalchemy_file"] = found


_PACKAGES = frozenset({"sqlalchemy", "flask_sqlalchemy"})


def session_call(p: Pass, original: cst.Call, node: cst.BaseExpression) -> bool:
    """Whether a call on ``node`` is a SQLAlchemy ``Session`` call: the project index says so
    when it resolved the call (Flask-SQLAlchemy's ``db.session`` is not one: its calls keep
    their catalog name), otherwise :func:`is_session` guesses from names."""
    site = p.site(original)
    if site is not None:
        return site in SESSION_OPS
    return is_session(p, node)


def is_session(p: Pass, node: cst.BaseExpression) -> bool:
    """Whether ``node`` names a SQLAlchemy session, in a file that uses SQLAlchemy (see
    :func:`note_imports`): ``session``/``s``/… that is not an imported name (Flask's cookie
    ``session`` is not one), or ``db.session`` / ``self.session``."""
    name = dotted(node)
    if name is None or not p.scratch.get("sqlalchemy_file", False):
        return False
    bound = p.qualified(node)
    if any(q.startswith("flask.") or q == "flask" for q in bound):
        return False
    if isinstance(node, cst.Name):
        return name in SESSION_NAMES and (not bound or all("sqlalchemy" in q for q in bound))
    head, _, leaf = name.rpartition(".")
    return leaf in {"session", "db_session"} and head.rpartition(".")[2] in {"db", "self"}


@dataclass(frozen=True)
class Step:
    method: str
    call: cst.Call


def unchain(node: cst.Call) -> tuple[cst.BaseExpression, list[Step]]:
    """``base.m1(...).m2(...)`` → ``(base, [m1, m2])``, innermost call first."""
    steps: list[Step] = []
    current: cst.BaseExpression = node
    while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
        steps.append(Step(current.func.attr.value, current))
        current = current.func.value
    steps.reverse()
    return current, steps


def receiver(call: cst.Call) -> cst.BaseExpression:
    assert isinstance(call.func, cst.Attribute)
    return call.func.value


def method(call: cst.Call, value: cst.BaseExpression) -> cst.Call:
    """``call`` (``x.name(...)``) on ``value`` instead of ``x``, formatting kept."""
    assert isinstance(call.func, cst.Attribute)
    return call.with_changes(func=call.func.with_changes(value=value), lpar=[], rpar=[])


def call(func: str | cst.BaseExpression, *args: cst.Arg | cst.BaseExpression) -> cst.Call:
    target = cst.parse_expression(func) if isinstance(func, str) else func
    return cst.Call(target, [a if isinstance(a, cst.Arg) else cst.Arg(a) for a in args])


def paren_await(expr: cst.BaseExpression) -> cst.Await:
    """``(await expr)``, for a method call on the awaited value."""
    return cst.Await(expression=expr, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name),
                None)


def is_entity(arg: cst.Arg) -> bool:
    """A single mapped class (``Note``): its rows are objects, read with ``scalars()``.
    Columns and several entities give Row tuples, read with ``execute()``."""
    return (arg.keyword is None and not arg.star and isinstance(arg.value, cst.Name)
            and arg.value.value[:1].isupper())
