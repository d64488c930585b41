"""What the project offers the Flask-SQLAlchemy twin pass: which catalog operations the
request session makes async (for await propagation), and which attributes are relationships
(reading one may lazy-load)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import libcst as cst

from .._scope import Converts
from ..codemods import REGISTRY
from ..codemods._rule import dotted

# What the twin's request session makes async (the catalog's Flask-SQLAlchemy I/O).
FLASK_SQLA_OPS = frozenset(
    [f"flask_sqlalchemy.session.Session.{m}" for m in (
        "execute", "scalar", "scalars", "get", "get_one", "refresh", "merge", "connection",
        "commit", "flush", "rollback", "close", "delete")]
    + [f"flask_sqlalchemy.query.Query.{m}" for m in (
        "all", "first", "one", "one_or_none", "scalar", "count", "get", "delete", "update",
        "get_or_404", "first_or_404", "one_or_404", "paginate")]
    + [f"flask_sqlalchemy.SQLAlchemy.{m}" for m in (
        "get_or_404", "first_or_404", "one_or_404", "paginate")]
)
_RULES = ("ASY404", "ASY405")
def converts(rules: Sequence[str]) -> Converts:
    """The selected rules' conversions, plus Flask-SQLAlchemy's I/O when both ASY404 and
    ASY405 run (the twin then has a request session to run it on)."""
    selected = [REGISTRY.rules[r] for r in rules if r in REGISTRY.rules]
    twin = all(r in rules for r in _RULES)

    def converted(op: str) -> bool:
        return any(rule.converts_op(op) for rule in selected) or (twin and op in FLASK_SQLA_OPS)

    return converted


class _Relationships(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and (dotted(node.value.func) or "").rpartition(
                ".")[2] == "relationship":
            self.names.update(t.target.value for t in node.targets
                              if isinstance(t.target, cst.Name))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if (isinstance(node.value, cst.Call) and isinstance(node.target, cst.Name)
                and (dotted(node.value.func) or "").rpartition(".")[2] == "relationship"):
            self.names.add(node.target.value)


def relationships(paths: Iterable[Path]) -> frozenset[str]:
    """The attribute names mapped with ``relationship()`` in these files (``tags`` in
    ``tags = db.relationship(...)``): reading one may lazy-load."""
    found = _Relationships()
    for path in paths:
        source = path.read_bytes()
        if b"relationship(" in source:
            try:
                cst.parse_module(source).visit(found)
            except cst.ParserSyntaxError:
                continue
    return frozenset(found.names)
