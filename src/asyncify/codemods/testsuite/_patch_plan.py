"""Whether a test's ``@patch("...requests.<verb>")`` mock can become a respx route, and how.

Translatable: the mock is only configured by top-level statements of the test —
``m.return_value.status_code/text/content/headers = ...``,
``m.return_value.json.return_value = ...``, ``m.side_effect = <requests exception>`` — and
only read as ``m.called`` / ``m.call_count`` / ``m.assert_called()`` /
``m.assert_called_once()`` / ``m.assert_not_called()``. Anything else (``call_args``,
``return_value`` used as an object, a callable side effect) keeps the TODO.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ._common import EXCEPTIONS, exception_name

_RESPONSE = {"status_code": "status_code", "text": "text", "content": "content",
             "headers": "headers"}
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
        if chain and len(chain) == 2 and chain[0] == self.name and chain[1] in (
                _READS | ASSERTS):
            self.allowed += 1


def plan(function: cst.FunctionDef, param: str, verb: str) -> Plan | None:
    """The translation of the mock ``param`` in ``function``, or ``None``."""
    found = Plan(param, verb)
    configured = 0
    assert isinstance(function.body, cst.IndentedBlock)
    for index, statement in enumerate(function.body.body):
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
                and isinstance(statement.body[0], cst.Assign)
                and len(statement.body[0].targets) == 1):
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
    function.body.visit(uses)
    if uses.count != configured + uses.allowed:
        return None
    return found
