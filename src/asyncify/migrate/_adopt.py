"""Which client objects the legacy app creates can the twins adopt (``compat.adopt``).

A class whose instances the legacy code builds (in its app factory, in a cached getter)
keeps sync methods in the twins, so every endpoint calling it stays on the thread pool. It is
*adopted* instead when all of these hold:

- its own I/O is a ``requests.Session`` kept on ``self`` (the run-time conversion covers
  that, ``Retry`` adapters and hooks included, and nothing else);
- its methods other than ``__init__`` never rebind an attribute (the twin's view shares the
  legacy object's state; a rebinding would split it);
- twin code obtains it from a getter, a module-level function without parameters that
  returns it (``upstream()``, ``get_pricing_client()``), called by its plain name;
- in the twin functions that become async, its methods are called only on ``getter()`` or
  on a local name bound only to ``getter()`` and used only as ``name.method(...)`` or
  ``name.attribute``, and every method they reach this way that does I/O becomes async too
  (:func:`unsettled`, checked once the propagation has settled).

The twin of the getter returns ``adopt(legacy_getter(), TwinClass)``; the twin class derives
from the legacy class and holds only the converted methods. Where twin code hands the
object on (an argument, a return value) or calls the getter from a function that stays
sync, it gets the legacy object, from the legacy getter (``legacy_getter_calls``): that is
what the code it hands it to expects.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._callgraph import CallGraph

_SESSION_OPS = ("requests.Session.", "requests.sessions.Session.")


@dataclass(frozen=True)
class Adoption:
    """Adopted classes (qualified names) → the getters (qualified names) that return them;
    and the classes twin code gets from a getter but cannot adopt → why."""

    getters: Mapping[str, tuple[str, ...]]
    refused: Mapping[str, str] = field(default_factory=dict)

    @property
    def classes(self) -> frozenset[str]:
        return frozenset(self.getters)

    def without(self, refused: Mapping[str, str]) -> Adoption:
        return Adoption({c: g for c, g in self.getters.items() if c not in refused},
                        {**self.refused, **refused})


Trees = dict[Path, ast.Module]  # legacy files parsed once per `apply` run


def candidates(graph: CallGraph, twin_side: set[str], legacy_classes: set[str],
               trees: Trees) -> Adoption:
    """The classes among ``legacy_classes`` the twins can adopt, judged statically."""
    functions = graph.functions
    methods: dict[str, list[str]] = {}
    for name, fn in functions.items():
        if fn.cls in legacy_classes:
            methods.setdefault(fn.cls, []).append(name)
    getters: dict[str, list[str]] = {}
    for name in twin_side:
        for edge in graph.edges.get(name, ()):
            callee = functions.get(edge.callee)
            if (edge.kind != "call" or callee is None or callee.cls is not None
                    or callee.summary.parent is not None or callee.summary.params
                    or edge.callee in graph.blocking):
                continue
            cls = graph.resolver.returned_class(edge.callee)
            if cls in methods and edge.callee not in getters.setdefault(cls, []):
                getters[cls].append(edge.callee)
    adopted: dict[str, tuple[str, ...]] = {}
    refused: dict[str, str] = {}
    for cls, found in getters.items():
        own = methods[cls]
        if not found or not any(m in graph.blocking for m in own):
            continue
        other = next((f"{_short(m)} does other I/O than a requests.Session ({site.target}, "
                      f"line {site.line})" for m in own for site in graph.sites.get(m, ())
                      if not site.target.startswith(_SESSION_OPS)), None)
        why = other or _rebinds(graph, own, trees) or _called_by_name(
            graph, twin_side, set(found), trees)
        if why is None:
            adopted[cls] = tuple(sorted(found))
        else:
            refused[cls] = why
    return Adoption(adopted, refused)


def _short(name: str) -> str:
    """``Client.fetch`` for ``pkg.module.Client.fetch``."""
    return ".".join(name.split(".")[-2:])


def unsettled(graph: CallGraph, adoption: Adoption, reached: Container[str],
              is_async: Callable[[str], bool], trees: Trees) -> dict[str, str]:
    """The adopted classes whose view async twin code could not use as it is (a method
    called on something other than ``getter()`` or a name bound to it, or a method so
    called, or one it calls on ``self``, that does I/O and stays sync), or has no use for
    (no twin function that becomes async calls its methods)."""
    functions = graph.functions
    failed: dict[str, str] = {}
    for cls, getters in adoption.getters.items():
        methods = {n for n, fn in functions.items() if fn.cls == cls}
        callers = {e.caller for m in methods for e in graph.callers.get(m, ())
                   if e.caller in reached and e.caller in functions
                   and functions[e.caller].cls != cls and is_async(e.caller)}
        used = {e.callee for c in callers for e in graph.edges.get(c, ()) if e.callee in methods}
        queue = list(used)
        while queue:  # and what those call on self
            for edge in graph.edges.get(queue.pop(), ()):
                if edge.callee in methods and edge.callee not in used:
                    used.add(edge.callee)
                    queue.append(edge.callee)
        sync = sorted(_short(m) for m in used if m in graph.blocking and not is_async(m))
        why = ("no twin function that becomes async calls its methods" if not callers
               else f"{', '.join(sync)} stays sync" if sync
               else _receivers_ok(graph, callers, methods, set(getters), trees))
        if why is not None:
            failed[cls] = why
    return failed


def _called_by_name(graph: CallGraph, twin_side: set[str], getters: set[str],
                    trees: Trees) -> str | None:
    """Why twin-side code does not call the getters only by a plain name (``getter()``,
    which the twin can point at the adopting getter or the legacy one), if it does not."""
    names = {g.rpartition(".")[2] for g in getters}
    for caller in twin_side:
        edges = [e for e in graph.edges.get(caller, ()) if e.callee in getters]
        if not edges:
            continue
        node = _function_node(graph, caller, trees)
        plain = set() if node is None else {
            (n.lineno, n.col_offset + 1) for n in ast.walk(node)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names}
        for edge in edges:
            if (edge.line, edge.col) not in plain:
                return (f"{_short(caller)} calls {edge.callee.rpartition('.')[2]}() other than "
                        f"by its name (line {edge.line})")
    return None


def _tree(graph: CallGraph, name: str, trees: Trees) -> ast.Module:
    path = graph.functions[name].module.file.path
    if path not in trees:
        trees[path] = ast.parse(path.read_bytes())
    return trees[path]


def _function_node(graph: CallGraph, name: str,
                   trees: Trees) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    line = graph.functions[name].summary.line
    for node in ast.walk(_tree(graph, name, trees)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.lineno == line or (node.decorator_list and node.decorator_list[0].lineno <= line
                                    <= node.lineno)
        ):
            return node
    return None


def _rebinds(graph: CallGraph, methods: list[str],
             trees: Trees) -> str | None:
    """Which method other than ``__init__`` assigns an attribute of ``self``, if one does."""
    for name in methods:
        if name.endswith(".__init__"):
            continue
        node = _function_node(graph, name, trees)
        if node is None:
            return f"{_short(name)} could not be read"
        for inner in ast.walk(node):
            targets: list[ast.expr] = []
            if isinstance(inner, ast.Assign):
                targets = inner.targets
            elif isinstance(inner, ast.AugAssign | ast.AnnAssign):
                targets = [inner.target]
            elif isinstance(inner, ast.Delete):
                targets = inner.targets
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name) and (
                        part.value.id == "self"
                    ):
                        return (f"{_short(name)} assigns self.{part.attr} (line "
                                f"{part.lineno}): the view would split the object's state")
    return None


def _receivers_ok(graph: CallGraph, callers: set[str], methods: set[str], getters: set[str],
                  trees: Trees) -> str | None:
    """Where a call of a method in ``callers`` is not on ``getter()`` or on a local name
    bound only to ``getter()`` and used only as a receiver, if one is not."""
    getter_names = {g.rpartition(".")[2] for g in getters}
    for caller in sorted(callers):
        edges = [e for e in graph.edges.get(caller, ()) if e.callee in methods]
        node = _function_node(graph, caller, trees)
        if node is None or any(e.kind != "call" for e in edges):
            return f"{_short(caller)} uses its methods other than by calling them"
        # (line, col, method name) → the call (``getter().m()`` and ``getter()`` share a
        # position: the method name tells them apart).
        calls = {(n.lineno, n.col_offset + 1, n.func.attr): n for n in ast.walk(node)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        bound = _bound_to_getter(node, getter_names)
        for edge in edges:
            call = calls.get((edge.line, edge.col, edge.callee.rpartition(".")[2]))
            receiver = call.func.value if call is not None and isinstance(
                call.func, ast.Attribute) else None
            if receiver is not None and (_is_getter_call(receiver, getter_names) or (
                isinstance(receiver, ast.Name) and receiver.id in bound
            )):
                continue
            return (f"{_short(caller)} calls {edge.callee.rpartition('.')[2]}() on something "
                    f"other than the getter's result kept in a local name (line {edge.line})")
    return None


def _is_getter_call(node: ast.expr | None, names: set[str]) -> bool:
    return (isinstance(node, ast.Call) and not node.args and not node.keywords
            and isinstance(node.func, ast.Name) and node.func.id in names)


def _bound_to_getter(function: ast.FunctionDef | ast.AsyncFunctionDef,
                     names: set[str]) -> set[str]:
    """Local names bound only by ``name = getter()`` and used only as ``name.attr``."""
    bound: dict[str, bool] = {}
    parents = {id(child): parent for parent in ast.walk(function)
               for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            parent = parents.get(id(node))
            ok = (isinstance(parent, ast.Assign) and len(parent.targets) == 1
                  and parent.targets[0] is node and _is_getter_call(parent.value, names)) or (
                isinstance(parent, ast.AnnAssign) and parent.target is node
                and _is_getter_call(parent.value, names))
            bound[node.id] = bound.get(node.id, True) and ok
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store) and (
            node.id in bound
        ):
            parent = parents.get(id(node))
            if not (isinstance(parent, ast.Attribute) and parent.value is node):
                bound[node.id] = False
    args = function.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    return {name for name, ok in bound.items() if ok and name not in params}
