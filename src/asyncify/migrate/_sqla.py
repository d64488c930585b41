"""Flask-SQLAlchemy in async twins: ``db.session`` becomes the request's ``AsyncSession``, and
what would lazy-load runs where a lazy load works.

The rules (ASY404, ASY405) rewrite ``Model.query…`` and ``db.session`` calls for asyncio but
cannot make ``db.session`` async: Flask-SQLAlchemy has none. A twin can, since the migrated
app provides one session per request (``asyncify.compat.request_session``). So, for
``apply ENDPOINT``:

- :func:`converts` counts the Flask-SQLAlchemy operations as converted, so a view that reaches
  them becomes async (instead of staying sync and bridging into converted helpers);
- :class:`RequestSession`, run on the converted module before it is trimmed, gives each
  migrated handler that uses ``db.session`` a ``session: AsyncSession =
  Depends(request_session)`` parameter and uses it instead (other async functions call
  ``current_session()``), and drops the rules' "db.session is sync" markers, now resolved;
- relationships the legacy code loaded lazily would raise ``MissingGreenlet`` when touched
  outside a greenlet (semantics.md §4): sync code that can touch them (a serializer call, a
  relationship read) in a ``return`` or an assignment runs inside ``await
  session.run_sync(lambda _: …)``, where lazy loads work, and a relationship collection an
  assignment replaces on a loaded object is loaded first (``await session.refresh(obj,
  ["tags"])``: replacing a collection reads the old one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from ..codemods._engine import after_imports
from ..codemods._rule import dotted
from ..codemods.sqlalchemy.awaits import AWAITED
from ._sqla_lazy import SAFE_CALLS, Hoist, Touches
from ._sqla_project import FLASK_SQLA_OPS, converts, relationships

__all__ = ["FLASK_SQLA_OPS", "RequestSession", "converts", "relationships",
           "request_session_pass"]

_MARKER = re.compile(r"# TODO\[asyncify ASY40[45]\]: db\.session is Flask-SQLAlchemy's sync")


def request_session_pass(handlers: frozenset[str], related: frozenset[str],
                         package: str) -> Callable[[bytes], bytes]:
    """The pass :func:`asyncify.migrate._twins.build_twin` runs on a converted module."""

    def run(source: bytes) -> bytes:
        if b"db.session" not in source:
            return source
        tree = cst.parse_module(source)
        pass_ = RequestSession(handlers, related, _project_names(tree, package))
        updated = tree.visit(pass_)
        if not pass_.imports:
            return source
        return _add_imports(updated, sorted(pass_.imports)).bytes

    return run


def _project_names(tree: cst.Module, package: str) -> frozenset[str]:
    """Names the module imports from the project (relative imports, or ``package``)."""
    names: set[str] = set()
    for statement in tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
                continue
            module = dotted(small.module) if small.module is not None else ""
            if small.relative or (module or "").partition(".")[0] == package:
                for alias in small.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    if isinstance(bound, cst.Name):
                        names.add(bound.value)
    return frozenset(names)


class _Bound(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``session`` in ``db.session`` binds nothing
        return False


@dataclass
class _Function:
    """A function whose ``db.session`` is being replaced."""

    session: str  # the expression that replaces db.session
    taken: set[str]  # names used in it (new variables must not clash)
    loaded: set[str] = field(default_factory=set)  # bound by ``x = await …``
    committed: bool = False  # a commit() was seen: every loaded object is expired


class RequestSession(cst.CSTTransformer):
    """``db.session`` → the request's session in the async functions of a converted module
    (see the module docstring); ``imports`` lists what the new code needs."""

    def __init__(self, handlers: frozenset[str], related: frozenset[str],
                 project: frozenset[str]) -> None:
        super().__init__()
        self.handlers = handlers
        self.related = related
        self.project = project
        self.imports: set[tuple[str, str]] = set()
        self._scopes: list[str] = []
        # Per function being rewritten: (session expression, names bound by ``x = await``).
        self._functions: list[_Function | None] = []
        self._awaited: set[int] = set()  # ids of the expressions under an ``await``

    def _qualname(self, name: str) -> str:
        return ".".join([*self._scopes, name])

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append(node.name.value)

    def leave_ClassDef(self, o: cst.ClassDef, u: cst.ClassDef) -> cst.ClassDef:
        self._scopes.pop()
        return u

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        self._scopes.append(node.name.value)
        uses = "db.session" in cst.Module([]).code_for_node(node.body)
        if node.asynchronous is None or not uses:
            self._functions.append(None)
            return
        names = _Bound()
        node.visit(names)
        if qualname in self.handlers:
            session = "session" if "session" not in names.names else "request_db_session"
            self._functions.append(_Function(session, names.names))
        else:
            self._functions.append(_Function("current_session()", names.names))

    def leave_FunctionDef(self, o: cst.FunctionDef, u: cst.FunctionDef) -> cst.FunctionDef:
        self._scopes.pop()
        state = self._functions.pop()
        if state is None:
            return u
        session = state.session
        lines = [line for line in u.leading_lines
                 if not (line.comment and _MARKER.match(line.comment.value))]
        u = u.with_changes(leading_lines=lines)
        if session.endswith("()"):
            self.imports.add(("asyncify.compat", "current_session"))
            return u
        self.imports.update({("asyncify.compat", "request_session"), ("fastapi", "Depends"),
                             ("sqlalchemy.ext.asyncio", "AsyncSession"), ("typing", "Annotated")})
        # No default: after parameters that have one, it is keyword-only.
        param = cst.Param(cst.Name(session), cst.Annotation(
            cst.parse_expression("Annotated[AsyncSession, Depends(request_session)]")))
        params = u.params
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        kwonly = [p.with_changes(comma=comma) for p in params.kwonly_params]
        star = params.star_arg
        previous = list(params.params)
        if star is cst.MaybeSentinel.DEFAULT and not any(p.default for p in previous):
            previous = [p.with_changes(comma=comma) for p in previous]
            return u.with_changes(params=params.with_changes(params=[*previous, param]))
        if star is cst.MaybeSentinel.DEFAULT:
            star = cst.ParamStar(comma=comma)
            previous = [p.with_changes(comma=comma) for p in previous]
        elif isinstance(star, cst.Param):
            star = star.with_changes(comma=comma)
        params = params.with_changes(params=previous, star_arg=star,
                                     kwonly_params=[*kwonly, param])
        return u.with_changes(params=params)

    def _state(self) -> _Function | None:
        return self._functions[-1] if self._functions else None

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited.add(id(node.expression))

    def leave_Call(self, o: cst.Call, u: cst.Call) -> cst.BaseExpression:
        # ASY405 awaits sqlalchemy.orm.Session calls; db.session's, now the request's
        # AsyncSession, are awaited here.
        state = self._state()
        if (state is None or id(o) in self._awaited or not isinstance(o.func, cst.Attribute)
                or dotted(o.func.value) != "db.session" or o.func.attr.value not in AWAITED):
            return u
        if o.lpar:
            return cst.Await(u.with_changes(lpar=[], rpar=[]), lpar=o.lpar, rpar=o.rpar)
        return cst.Await(u)

    def leave_Attribute(self, o: cst.Attribute, u: cst.Attribute) -> cst.BaseExpression:
        state = self._state()
        if state is not None and dotted(o) == "db.session":
            return cst.parse_expression(state.session)
        return u

    def leave_SimpleStatementLine(
        self, o: cst.SimpleStatementLine, u: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        state = self._state()
        if state is None or state.session.endswith("()") or len(u.body) != 1:
            return u
        session, loaded = state.session, state.loaded
        small = u.body[0]
        before: list[cst.BaseStatement] = []
        if isinstance(small, cst.Assign):
            for target in small.targets:
                t = target.target
                if isinstance(t, cst.Name) and isinstance(small.value, cst.Await):
                    loaded.add(t.value)
                elif (isinstance(t, cst.Attribute) and t.attr.value in self.related
                      and isinstance(t.value, cst.Name) and t.value.value in loaded):
                    # Replacing a collection reads the old one: load it here, awaited.
                    before.append(cst.parse_statement(
                        f'await {session}.refresh({t.value.value}, ["{t.attr.value}"])\n'))
        value = small.value if isinstance(small, cst.Return | cst.Assign | cst.Expr) else None
        if value is None:
            return u
        wrapped, hoisted = self._in_greenlet(value, state, calls=isinstance(small, cst.Return))
        if wrapped is not value:
            before += [cst.parse_statement(f"{name} = {_code(expr)}\n")
                       for name, expr in hoisted]
            u = u.with_changes(body=[small.with_changes(value=wrapped)])
        after: list[cst.BaseStatement] = []
        if _commits(small, session):
            # The legacy session expired every object at commit, so what the view read
            # afterwards came fresh from the database (server defaults, ordered
            # collections): the same here; reads below run in run_sync, where a reload works.
            state.committed = True
            after.append(cst.parse_statement(f"{session}.expire_all()\n"))
        if not before and not after:
            return u
        if not before:
            return cst.FlattenSentinel([u, *after])
        first = before[0]
        assert isinstance(first, cst.SimpleStatementLine)
        before[0] = first.with_changes(leading_lines=u.leading_lines)
        return cst.FlattenSentinel([*before, u.with_changes(leading_lines=[]), *after])

    def _in_greenlet(self, value: cst.BaseExpression, state: _Function, *,
                     calls: bool) -> tuple[cst.BaseExpression, list[tuple[str, cst.Await]]]:
        """``value`` with the parts that may lazy-load inside ``run_sync`` (and the awaits
        moved out first), or ``value`` itself. ``calls``: a project function called with
        arguments counts (a serializer, in a ``return``), else only relationship reads;
        after a commit (which expires every object), any attribute of a local name."""
        touches = Touches(self.related, self.project if calls else frozenset(),
                           state.taken if state.committed else frozenset())
        value.visit(touches)
        if not touches.found:
            return value, []
        # A compat response helper (flask_response(body, 201)) is not the ORM reader: wrap
        # its arguments.
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                and value.func.value in SAFE_CALLS):
            hoisted_all: list[tuple[str, cst.Await]] = []
            args = []
            for arg in value.args:
                new, hoisted = self._in_greenlet(arg.value, state, calls=calls)
                hoisted_all += hoisted
                args.append(arg.with_changes(value=new))
            return value.with_changes(args=args), hoisted_all
        hoist = Hoist(state.taken)
        moved = value.visit(hoist)
        if hoist.stuck or not isinstance(moved, cst.BaseExpression):
            return value, []  # an await inside a comprehension: left as it is
        # A lambda's body is one expression: a tuple (``body, 201``) or a walrus keeps
        # brackets, or the call would get the tuple's other items as arguments.
        bracketed = isinstance(moved, cst.Tuple | cst.NamedExpr)
        body = moved.with_changes(lpar=[cst.LeftParen()] if bracketed else [],
                                  rpar=[cst.RightParen()] if bracketed else [])
        lambda_ = cst.Lambda(cst.Parameters([cst.Param(cst.Name("_"))]), body)
        call = cst.Call(cst.parse_expression(f"{state.session}.run_sync"),
                        [cst.Arg(lambda_)])
        return cst.Await(call), hoist.hoisted


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _add_imports(module: cst.Module, imports: Sequence[tuple[str, str]]) -> cst.Module:
    """The imports after the module's leading import block (the twin's tidy pass sorts and
    merges them)."""
    return after_imports(module, [cst.parse_statement(f"from {m} import {n}\n")
                                  for m, n in imports])


def _commits(small: cst.BaseSmallStatement, session: str) -> bool:
    """``await session.commit()`` as a statement."""
    return (isinstance(small, cst.Expr) and isinstance(small.value, cst.Await)
            and _code(small.value.expression) == f"{session}.commit()")
