"""The two structural edits of ASY709: Flask-Testing's set-up steps at the head of a class's
``setUp``, and dropping the ``flask_testing`` imports nothing uses any more."""

from __future__ import annotations

import libcst as cst

from .._rule import UsedNames, bound_name, dotted

_COMMENT = ("# Flask-Testing's set-up (asyncify ASY709): the legacy app, a client of the "
            "migrated app, a test request context.")
_STEPS = (
    "self.app = self.create_app()",
    "self.client = CLIENT",
    "self.addCleanup(self.client.close)",
    "self._ctx = request_context(self.app)",
    "self._ctx.push()",
    "self.addCleanup(self._ctx.pop)",
)


class _Client(cst.CSTTransformer):
    def __init__(self, client: cst.BaseExpression) -> None:
        super().__init__()
        self.client = client

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self.client if updated.value == "CLIENT" else updated


def _steps(client: cst.BaseExpression) -> list[cst.BaseStatement]:
    steps = [cst.parse_statement(line).visit(_Client(client)) for line in _STEPS]
    assert all(isinstance(s, cst.SimpleStatementLine) for s in steps)
    first = steps[0]
    assert isinstance(first, cst.SimpleStatementLine)
    steps[0] = first.with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment(_COMMENT))])
    return steps  # type: ignore[return-value]  # checked above: statements, not sentinels


def _docstring(statement: cst.BaseStatement) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString))


def setup_steps(body: cst.BaseSuite, client: cst.BaseExpression) -> cst.BaseSuite:
    """The class body with the steps first in its ``setUp`` (a new one after ``create_app``,
    or first, when it has none)."""
    assert isinstance(body, cst.IndentedBlock)
    statements = list(body.body)
    for index, statement in enumerate(statements):
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "setUp":
            block = statement.body
            assert isinstance(block, cst.IndentedBlock)
            head = 1 if block.body and _docstring(block.body[0]) else 0
            inner = [*block.body[:head], *_steps(client), *block.body[head:]]
            statements[index] = statement.with_changes(body=block.with_changes(body=inner))
            return body.with_changes(body=statements)
    at = next((i + 1 for i, s in enumerate(statements)
               if isinstance(s, cst.FunctionDef) and s.name.value == "create_app"),
              1 if statements and _docstring(statements[0]) else 0)
    method = cst.FunctionDef(
        cst.Name("setUp"), cst.Parameters([cst.Param(cst.Name("self"))]),
        cst.IndentedBlock(_steps(client)),
        leading_lines=[cst.EmptyLine(indent=False)] if at else [])
    following = statements[at] if at < len(statements) else None
    if isinstance(following, cst.FunctionDef | cst.ClassDef) and not following.leading_lines:
        statements[at] = following.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    statements.insert(at, method)
    return body.with_changes(body=statements)


def _flask_testing(statement: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    node = statement.body[0]
    if isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None:
        return node if (dotted(node.module) or "").partition(".")[0] == "flask_testing" and not (
            isinstance(node.names, cst.ImportStar)) else None
    if isinstance(node, cst.Import) and all(
            (dotted(a.name) or "").partition(".")[0] == "flask_testing" for a in node.names):
        return node
    return None


def unused_imports_removed(module: cst.Module) -> cst.Module:
    """``module`` without the top-level ``flask_testing`` imports whose names are unused."""
    uses = UsedNames()
    module.visit(uses)
    body: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []  # comments above a dropped import stay
    for statement in module.body:
        node = _flask_testing(statement)
        if node is not None:
            names = node.names
            assert not isinstance(names, cst.ImportStar)
            kept = [a for a in names if bound_name(a) in uses.names]
            if not kept:
                assert isinstance(statement, cst.SimpleStatementLine)
                carried += [line for line in statement.leading_lines if line.comment]
                continue
            if len(kept) < len(names):
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                statement = statement.with_deep_changes(node, names=kept)
        if carried and isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            statement = statement.with_changes(
                leading_lines=[*carried, *statement.leading_lines])
            carried = []
        body.append(statement)
    return module.with_changes(body=body)
