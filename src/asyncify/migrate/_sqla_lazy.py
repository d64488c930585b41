"""Which expressions of a twin may lazy-load (and so must run inside ``run_sync``), and how
the awaits in them are moved out first: a helper of :mod:`asyncify.migrate._sqla`."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from ..codemods._rule import dotted

# Calls that never touch an ORM attribute (the compat response helpers wrap, not read).
SAFE_CALLS = frozenset({"abort", "flask_response", "FlaskJSONResponse", "jsonify", "len", "str",
                        "int", "bool", "float", "min", "max", "dict", "list", "tuple", "sorted"})


class Touches(cst.CSTVisitor):
    """Whether an expression may lazy-load: it reads a relationship attribute or calls a
    project function (a serializer) outside an ``await``."""

    def __init__(self, related: frozenset[str], project: frozenset[str],
                 expired: Iterable[str] = ()) -> None:
        super().__init__()
        self.related = related
        self.project = project
        self.expired = frozenset(expired)
        self.found = False
        self.awaits = False

    def visit_Await(self, node: cst.Await) -> bool:
        self.awaits = True
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in self.related or (
                isinstance(node.value, cst.Name) and node.value.value in self.expired):
            self.found = True

    def visit_Call(self, node: cst.Call) -> None:
        head = (dotted(node.func) or "").partition(".")[0]
        if head in self.project and head not in SAFE_CALLS and node.args:
            self.found = True


class Hoist(cst.CSTTransformer):
    """Moves the ``await`` expressions of a statement's value out into variables (outside
    comprehensions and lambdas only), so the rest can run inside ``run_sync``."""

    def __init__(self, taken: set[str]) -> None:
        super().__init__()
        self.taken = taken
        self.hoisted: list[tuple[str, cst.Await]] = []
        self.nested = 0
        self.stuck = False  # an await the hoist cannot move (in a comprehension)
        self._key: list[str | None] = []

    def _enter(self, node: cst.CSTNode) -> bool:
        self.nested += 1
        return True

    def _leave(self, node: cst.CSTNode) -> None:
        self.nested -= 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter
    visit_Lambda = _enter

    def leave_ListComp(self, o: cst.ListComp, u: cst.ListComp) -> cst.ListComp:
        self._leave(o)
        return u

    def leave_SetComp(self, o: cst.SetComp, u: cst.SetComp) -> cst.SetComp:
        self._leave(o)
        return u

    def leave_DictComp(self, o: cst.DictComp, u: cst.DictComp) -> cst.DictComp:
        self._leave(o)
        return u

    def leave_GeneratorExp(self, o: cst.GeneratorExp, u: cst.GeneratorExp) -> cst.GeneratorExp:
        self._leave(o)
        return u

    def leave_Lambda(self, o: cst.Lambda, u: cst.Lambda) -> cst.Lambda:
        self._leave(o)
        return u

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = node.key
        word = key.evaluated_value if isinstance(key, cst.SimpleString) else None
        self._key.append(word if isinstance(word, str) and word.isidentifier() else None)

    def leave_DictElement(self, o: cst.DictElement, u: cst.DictElement) -> cst.DictElement:
        self._key.pop()
        return u

    def leave_Await(self, o: cst.Await, u: cst.Await) -> cst.BaseExpression:
        if self.nested:
            self.stuck = True
            return u
        base = (self._key[-1] if self._key else None) or "awaited"
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        self.hoisted.append((name, u.with_changes(lpar=[], rpar=[])))
        return cst.Name(name)
