"""Whether a ``patch("...requests.<verb>")`` mock — a test's decorator, or ``with patch(...)
as m:`` — can become a respx route, and how.

Translatable: the mock is only configured by top-level statements of the test (or of the
``with`` block) — ``m.return_value.status_code/text/content/headers = ...``,
``m.return_value.json.return_value = ...``, ``m.side_effect = <requests exception>`` — all in
one run with nothing before it that calls anything (a request there would meet the mock
unconfigured) or names the mock, and only read as ``m.called`` / ``m.call_count`` or checked
by a statement ``m.assert_called()`` / ``m.assert_called_once()`` / ``m.assert_not_called()``.
Anything else (``call_args``, ``return_value`` used as an object, a callable side effect, a
mock used after its ``with`` block) keeps the TODO.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from ._common import EXCEPTIONS, exception_name

_RESPONSE = {
    "status_code": "status_code",
    "text": "text",
    "content": "content",
    "headers": "headers",
}
ASSERTS = {"assert_called", "assert_called_once", "assert_not_called"}
_READS = {"called", "call_count"}


@dataclass
class Plan:
    param: str
    verb: str
    response: dict[str, cst.BaseExpression] = field(default_factory=dict)
    raises: str | None = None
    config: list[int] = field(default_factory=list)  # indexes of top-level statements


def _chain(node: cst.BaseExpression) -> list[str] | None:
    """``m.return_value.json.return_value`` → ``["m", "return_value", "json", ...]``."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.insert(0, node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    return [node.value, *parts]


class _Uses(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.allowed = 0
        self._checks: set[int] = set()  # id() of ``m.assert_…`` that are whole statements

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(node.body) == 1 and isinstance(node.body[0], cst.Expr):
            call = node.body[0].value
            if isinstance(call, cst.Call) and not call.args:
                self._checks.add(id(call.func))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.count += 1

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value == self.name:
            self.count -= 1  # f(m=...) names a parameter, not the mock

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == self.name:
            self.count -= 1  # client.get: an attribute, not the mock
        chain = _chain(node)
        if (
            chain
            and len(chain) == 2
            and chain[0] == self.name
            and (chain[1] in _READS or (chain[1] in ASSERTS and id(node) in self._checks))
        ):
            self.allowed += 1


class _Outside(_Uses):
    """Uses of the name outside ``block`` and outside other ``with`` statements binding it."""

    def __init__(self, name: str, block: cst.With) -> None:
        super().__init__(name)
        self.block = block

    def visit_With(self, node: cst.With) -> bool:
        return node is not self.block and not any(
            isinstance(item.asname, cst.AsName)
            and isinstance(item.asname.name, cst.Name)
            and item.asname.name.value == self.name
            for item in node.items
        )


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Call(self, node: cst.Call) -> bool:
        self.found = True
        return False


def plan(body: cst.IndentedBlock, param: str, verb: str) -> Plan | None:
    """The translation of the mock ``param`` in ``body`` (a test's, or a ``with`` block's),
    or ``None``."""
    found = Plan(param, verb)
    configured = 0
    for index, statement in enumerate(body.body):
        if not (
            isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Assign)
            and len(statement.body[0].targets) == 1
        ):
            continue
        assign = statement.body[0]
        chain = _chain(assign.targets[0].target)
        if not chain or chain[0] != param:
            continue
        rest = chain[1:]
        if len(rest) == 2 and rest[0] == "return_value" and rest[1] in _RESPONSE:
            found.response[_RESPONSE[rest[1]]] = assign.value
        elif rest == ["return_value", "json", "return_value"]:
            found.response["json"] = assign.value
        elif rest == ["side_effect"] and exception_name(assign.value) in EXCEPTIONS:
            found.raises = EXCEPTIONS[exception_name(assign.value) or ""]
        else:
            return None
        found.config.append(index)
        configured += 1
    uses = _Uses(param)
    body.visit(uses)
    if uses.count != configured + uses.allowed:
        return None
    return found


def placement(body: Sequence[cst.BaseStatement], plans: Sequence[Plan]) -> int | None:
    """Where the routes of ``plans`` go in ``body``: where their configuring statements are,
    which must be one run with nothing before it that calls anything or names a mock (so no
    request can meet a mock unconfigured, and each value is evaluated where it was).
    ``None`` when that does not hold."""
    config = sorted(i for found in plans for i in found.config)
    if not config:
        return 0
    if config != list(range(config[0], config[-1] + 1)):
        return None
    for statement in body[: config[0]]:
        calls = _Calls()
        statement.visit(calls)
        if calls.found:
            return None
        for found in plans:
            uses = _Uses(found.param)
            statement.visit(uses)
            if uses.count:
                return None
    return config[0]


def escapes(scope: cst.CSTNode, block: cst.With, name: str) -> bool:
    """Whether ``scope`` names the mock ``block`` binds as ``name`` outside the block
    (other ``with`` statements binding the same name are other mocks)."""
    outside = _Outside(name, block)
    scope.visit(outside)
    return outside.count != 0
