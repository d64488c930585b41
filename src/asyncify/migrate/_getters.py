"""Calls of an adopting getter that must get the legacy object instead (see ``_adopt``).

In a twin module, ``get_client()`` is the adopting getter: it returns the async view of the
legacy app's client. Async twin code that calls methods on it (``get_client().fetch()``, or
``client = get_client()`` then ``client.fetch()``) wants that view; anything else wants what
the legacy getter returns: a call in a function that stays sync (its method calls are sync),
and a call whose result is handed on (an argument, a return value, a name used otherwise),
since what receives it may be legacy code. Those calls become ``legacy.module.get_client()``.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst


def legacy_getter_calls(
    module: cst.Module, getters: Mapping[str, str]
) -> tuple[cst.Module, set[str]]:
    """``module`` with the getter calls (``getters``: local name → legacy module) that must
    get the legacy object pointed at the legacy getter, and the legacy modules now used."""
    if not getters:
        return module, set()
    found = _Find(getters)
    module.visit(found)
    if not found.legacy:
        return module, set()
    return module.visit(_Point(found.legacy, getters)), {getters[n] for n in found.names}


class _Find(cst.CSTVisitor):
    def __init__(self, getters: Mapping[str, str]) -> None:
        super().__init__()
        self.getters = getters
        self.stack: list[cst.CSTNode] = []
        self.functions: list[tuple[bool, set[str]]] = []  # (async, receiver-only names)
        self.legacy: set[int] = set()  # ids of the calls to point at the legacy getter
        self.names: set[str] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef):
            self.functions.append((node.asynchronous is not None, self._receivers(node)))
        elif isinstance(node, cst.Call) and self._is_getter(node) and not self._wants_view(node):
            self.legacy.add(id(node))
            assert isinstance(node.func, cst.Name)
            self.names.add(node.func.value)
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        if isinstance(original_node, cst.FunctionDef):
            self.functions.pop()

    def _is_getter(self, call: cst.Call) -> bool:
        return _getter_call(call, self.getters)

    def _wants_view(self, call: cst.Call) -> bool:
        if not self.functions or not self.functions[-1][0]:
            return False  # sync code (or the module body)
        parent = self.stack[-1] if self.stack else None
        if isinstance(parent, cst.Attribute) and parent.value is call:
            return True
        receivers = self.functions[-1][1]
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            return isinstance(target, cst.Name) and target.value in receivers
        if isinstance(parent, cst.AnnAssign) and isinstance(parent.target, cst.Name):
            return parent.target.value in receivers
        return False

    def _receivers(self, function: cst.FunctionDef) -> set[str]:
        """Names bound only by ``name = getter()`` and used only as ``name.attr``."""
        uses = _Uses(self.getters)
        function.body.visit(uses)
        return {n for n, ok in uses.ok.items() if ok}


class _Uses(cst.CSTVisitor):
    def __init__(self, getters: Mapping[str, str]) -> None:
        super().__init__()
        self.getters = getters
        self.stack: list[cst.CSTNode] = []
        self.ok: dict[str, bool] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Name) and self.stack:
            parent = self.stack[-1]
            if isinstance(parent, cst.AssignTarget) and parent.target is node:
                assign = self.stack[-2] if len(self.stack) > 1 else None
                bound = isinstance(assign, cst.Assign) and len(assign.targets) == 1 and (
                    self._is_getter(assign.value))
                self.ok[node.value] = self.ok.get(node.value, True) and bound
            elif isinstance(parent, cst.AnnAssign) and parent.target is node:
                bound = parent.value is not None and self._is_getter(parent.value)
                self.ok[node.value] = self.ok.get(node.value, True) and bound
            elif isinstance(parent, cst.Attribute) and parent.attr is node:
                pass  # ``x.name``: not the name
            elif not (isinstance(parent, cst.Attribute) and parent.value is node):
                self.ok[node.value] = False  # used as a value: the object is handed on
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()

    def _is_getter(self, node: cst.BaseExpression) -> bool:
        return _getter_call(node, self.getters)


def _getter_call(node: cst.BaseExpression, getters: Mapping[str, str]) -> bool:
    """``getter()``: a call, without arguments, of one of ``getters`` by name."""
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
            and node.func.value in getters and not node.args)


class _Point(cst.CSTTransformer):
    def __init__(self, calls: set[int], getters: Mapping[str, str]) -> None:
        super().__init__()
        self.calls = calls
        self.getters = getters

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if id(original) not in self.calls:
            return updated
        assert isinstance(updated.func, cst.Name)
        name = updated.func.value
        return updated.with_changes(
            func=cst.parse_expression(f"{self.getters[name]}.{name}"))
