"""What a rewrite rule is: a stable ID, a one-line description, an import gate, and handlers
that the engine calls while it walks a file's syntax tree once for all rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

if TYPE_CHECKING:
    from ._engine import Pass

DOCS_BASE = "https://asyncify.readthedocs.io/en/latest/rules/"


@dataclass(frozen=True)
class Todo:
    """A spot the rule would not rewrite blindly: a marker in the code and a report entry."""

    rule: str
    line: int
    message: str

    @property
    def marker(self) -> str:
        return f"# TODO[asyncify {self.rule}]: {self.message} — {DOCS_BASE}#{self.rule.lower()}"


@dataclass(frozen=True)
class Example:
    """A before/after pair: tests are generated from these, and so is the rule's docs section.
    ``after`` equal to ``before`` is a no-op case, with ``why`` saying why it must not change."""

    before: str
    after: str
    why: str = ""
    # Run the project analysis on ``before`` first (await propagation needs it).
    propagate: bool = False
    # Other rules the example runs with (this rule builds on what they do).
    with_rules: tuple[str, ...] = ()


class Rule:
    """One rewrite. Subclasses set the class attributes and define ``visit_<Node>`` /
    ``leave_<Node>`` handlers, which receive the engine's :class:`Pass` as ``p``."""

    id: ClassVar[str]
    title: ClassVar[str]
    # Top-level packages the file must import for the rule to run (empty: always runs).
    gate: ClassVar[frozenset[str]] = frozenset()
    # Words one of which must appear in the file's text for the rule to possibly fire (a
    # cheap byte search before any parsing; empty: always parse).
    triggers: ClassVar[frozenset[str]] = frozenset()
    # The rule only rewrites code inside ``async def``: files without one are skipped.
    async_only: ClassVar[bool] = True
    # Catalog operations the rule turns into non-blocking code. Await propagation makes a
    # function async only when every blocking operation it reaches is in some selected rule's
    # ``converts``.
    converts: ClassVar[frozenset[str]] = frozenset()
    examples: ClassVar[tuple[Example, ...]] = ()

    def __init__(self, p: Pass) -> None:
        self.p = p

    @classmethod
    def converts_op(cls, operation: str) -> bool:
        """Whether the rule turns a call to this catalog operation into non-blocking code."""
        return operation in cls.converts

    @classmethod
    def applies_to(cls, source: bytes, imported: set[str]) -> bool:
        """Whether the rule could fire on ``source`` (its import gate and text triggers)."""
        if cls.gate and not cls.gate & imported:
            return False
        if cls.async_only and b"async" not in source:
            return False
        return not cls.triggers or any(t.encode() in source for t in cls.triggers)


@dataclass
class Registry:
    rules: dict[str, type[Rule]] = field(default_factory=dict)

    def register(self, rule: type[Rule]) -> type[Rule]:
        if rule.id in self.rules:
            raise ValueError(f"rule {rule.id} is registered twice")
        self.rules[rule.id] = rule
        return rule

    def __iter__(self) -> Iterator[type[Rule]]:
        return iter(sorted(self.rules.values(), key=lambda r: r.id))


REGISTRY = Registry()
register = REGISTRY.register


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` as a string, for a Name/Attribute chain; otherwise ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def bound_name(alias: cst.ImportAlias) -> str:
    """The name an import binds: ``m`` for ``import m as m``/``from x import y as m``,
    ``y`` for ``from x import y``, ``a`` for ``import a.b``."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return (dotted(alias.name) or "").partition(".")[0]


class UsedNames(cst.CSTVisitor):
    """The names a tree uses (reads), not counting import statements or attribute names:
    ``unittest.TestCase`` uses ``unittest``, not ``TestCase``."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)
