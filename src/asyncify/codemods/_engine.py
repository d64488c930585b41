"""The engine: one libcst parse per file, one walk of the tree for all selected rules.

``transform`` is a pure function (bytes in, outcome out), so files can be spread over worker
processes. It never writes; callers decide what to do with the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from .._write import check_parses
from ..errors import InputError
from ._rule import REGISTRY, Rule, Todo

Status = Literal["changed", "unchanged", "skipped", "failed"]

_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+(\w+)|import[ \t]+([\w, \t.]+))", re.MULTILINE)
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


@dataclass
class Outcome:
    """What happened to one file: a value, rendered or written by someone else."""

    path: str
    status: Status
    reason: str = ""
    new: bytes | None = None
    todos: list[Todo] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    diff: str = ""


def imported_packages(source: bytes) -> set[str]:
    """Top-level packages a file imports (a cheap scan, no parse: the rules' import gate)."""
    found: set[str] = set()
    for from_name, import_names in _IMPORT.findall(source.removeprefix(b"\xef\xbb\xbf")):
        if from_name:
            found.add(from_name.decode())
        else:
            for part in import_names.decode().split(","):
                name = part.strip().split(" ")[0].split(".")[0]
                if name:
                    found.add(name)
    return found


class Pass(cst.CSTTransformer):
    """Walks the tree once and hands every node to each rule that has a handler for it."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider)

    def __init__(self, rules: Sequence[type[Rule]], context: CodemodContext) -> None:
        super().__init__()
        self.context = context
        self.rules = [rule(self) for rule in rules]
        self.todos: list[Todo] = []
        self.fired: set[str] = set()
        self._scopes: list[bool] = []  # is each enclosing function async?
        self._stack: list[cst.CSTNode] = []
        self._pending: list[list[Todo]] = []
        self._handlers: dict[tuple[str, str], list[Callable[..., Any]]] = {}

    # --- for rules --------------------------------------------------------------------

    def qualified(self, node: cst.CSTNode) -> set[str]:
        """The qualified names ``node`` may refer to (``time.sleep`` for ``t.sleep``)."""
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def in_async(self) -> bool:
        return bool(self._scopes) and self._scopes[-1]

    def parent(self) -> cst.CSTNode | None:
        """The parent of the node being left (call from a ``leave_`` handler)."""
        return self._stack[-2] if len(self._stack) > 1 else None

    def awaited(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.Await:
        """``await updated``, parenthesized where the parent would otherwise bind tighter
        (``(await f()).x``, ``(await f())[0]``, ``(await f())()``)."""
        parent = self.parent()
        tight = (
            (isinstance(parent, cst.Attribute) and parent.value is original)
            or (isinstance(parent, cst.Subscript) and parent.value is original)
            or (isinstance(parent, cst.Call) and parent.func is original)
            or isinstance(parent, cst.Await)
        )
        if tight:
            return cst.Await(expression=updated, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.Await(expression=updated)

    def line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def need_import(self, module: str, obj: str | None = None) -> None:
        AddImportsVisitor.add_needed_import(self.context, module, obj)

    def todo(self, rule: str, node: cst.CSTNode, message: str) -> None:
        """Leave a TODO marker above the statement holding ``node`` and report it."""
        item = Todo(rule, self.line(node), message)
        self.todos.append(item)
        self.fired.add(rule)
        if self._pending:
            self._pending[-1].append(item)

    def marked(self, rule: str, node: cst.CSTNode, message: str, updated: Any) -> Any:
        """Like :meth:`todo`, but the marker goes on ``updated`` itself (a node with
        ``leading_lines`` that is not a statement, e.g. an ``except`` clause)."""
        item = Todo(rule, self.line(node), message)
        self.todos.append(item)
        self.fired.add(rule)
        return _with_markers(updated, [item])

    def changed(self, rule: str) -> None:
        self.fired.add(rule)

    # --- dispatch ---------------------------------------------------------------------

    def _for(self, phase: str, node: cst.CSTNode) -> list[Callable[..., Any]]:
        key = (phase, type(node).__name__)
        found = self._handlers.get(key)
        if found is None:
            name = f"{phase}_{key[1]}"
            found = [getattr(r, name) for r in self.rules if hasattr(r, name)]
            self._handlers[key] = found
        return found

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._stack.append(node)
        if isinstance(node, cst.FunctionDef):
            self._scopes.append(node.asynchronous is not None)
        elif isinstance(node, cst.Lambda):
            self._scopes.append(False)
        if isinstance(node, _STATEMENTS):
            self._pending.append([])
        for handler in self._for("visit", node):
            handler(node)
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        updated: Any = updated_node
        for handler in self._for("leave", original_node):
            updated = handler(original_node, updated)
        if isinstance(original_node, cst.FunctionDef | cst.Lambda):
            self._scopes.pop()
        if isinstance(original_node, _STATEMENTS):
            pending = self._pending.pop()
            if pending and isinstance(updated, _STATEMENTS):
                updated = _with_markers(updated, pending)
        self._stack.pop()
        return updated


def _with_markers(statement: Any, todos: list[Todo]) -> Any:
    existing = {line.comment.value for line in statement.leading_lines if line.comment}
    added = [
        cst.EmptyLine(comment=cst.Comment(todo.marker))
        for todo in dict.fromkeys(todos)
        if todo.marker not in existing
        and not any(c.startswith(f"# TODO[asyncify {todo.rule}]") for c in existing)
    ]
    if not added:
        return statement
    return statement.with_changes(leading_lines=[*statement.leading_lines, *added])


def transform(path: str, source: bytes, rule_ids: Sequence[str]) -> Outcome:
    """Run the rules ``rule_ids`` over one file's bytes. Never raises for bad input."""
    imported = imported_packages(source)
    rules = [
        REGISTRY.rules[rule_id] for rule_id in rule_ids
        if not REGISTRY.rules[rule_id].gate or REGISTRY.rules[rule_id].gate & imported
    ]
    if not rules:
        return Outcome(path, "unchanged", "no selected rule applies (import gate)")
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return Outcome(path, "failed", f"syntax error: {exc.message} (line {exc.raw_line}); "
                       "fix the syntax or leave the file out")
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        return Outcome(path, "failed", f"cannot decode source: {exc}")
    context = CodemodContext(filename=path)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    rewrite = Pass(rules, context)
    try:
        new_module = wrapper.visit(rewrite)
        new_module = AddImportsVisitor(context).transform_module(new_module)
        new = new_module.bytes
        check_parses(new, path)
    except InputError as exc:
        return Outcome(path, "failed", str(exc))
    except Exception as exc:
        return Outcome(path, "failed", f"internal error in a rule: {type(exc).__name__}: {exc} "
                       "(please report this as an asyncify bug)")
    if new == source:
        return Outcome(path, "unchanged", "nothing to convert")
    return Outcome(path, "changed", new=new, todos=rewrite.todos, rules=sorted(rewrite.fired))
