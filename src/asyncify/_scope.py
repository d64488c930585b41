"""Await propagation, decided on the call graph: which functions become ``async def`` and which
call sites must be awaited, per file. Codemods only carry the decision out.

A function becomes async only when every blocking operation it reaches, through any chain of
calls, is one the selected rules convert (semantics.md §0: a half-converted function is worse
than a sync one). Constructs that cannot be async (dunders, properties, cached functions) keep
their function — and everything that calls it — sync. A sync function that calls one that
became async goes through the bridge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from ._callgraph import CallGraph
from .codemods import FileContext

Converts = Callable[[str], bool]

# Manual-work kinds that forbid turning the function itself async.
_BLOCKERS = frozenset({"cache", "property", "dunder"})


def conversion_contexts(
    graph: CallGraph, files: Iterable[str], converts: Converts
) -> dict[str, FileContext]:
    """Per file (relative path), what to make async and which call sites to await."""
    wanted = set(files)
    functions = graph.functions

    def file_of(qname: str) -> str:
        return functions[qname].module.file.relpath

    stuck: set[str] = set()
    for name, found in graph.sites.items():
        for site in found:
            op = site.operation
            if op.io and op.category != "cpu" and not converts(op.name):
                stuck.add(name)
    for name, items in graph.manual.items():
        if any(m.kind in _BLOCKERS and not m.at for m in items):
            stuck.add(name)
    # Whatever reaches a stuck function stays sync too.
    queue = deque(stuck)
    while queue:
        current = queue.popleft()
        for edge in graph.callers.get(current, ()):
            if edge.caller not in stuck:
                stuck.add(edge.caller)
                queue.append(edge.caller)

    make_async = {
        name for name in graph.blocking
        if name not in stuck and name in functions and file_of(name) in wanted
        and not functions[name].summary.is_async
    }
    converted = make_async | {
        name for name in graph.blocking
        if name in functions and functions[name].summary.is_async
    }
    contexts: dict[str, dict[str, set[object]]] = {}

    def slot(relpath: str, key: str) -> set[object]:
        return contexts.setdefault(relpath, {}).setdefault(key, set())

    for name in make_async:
        slot(file_of(name), "make_async").add(functions[name].summary.qualname)
    for callee in converted:
        for edge in graph.callers.get(callee, ()):
            if edge.kind != "call" or not edge.col or edge.caller not in functions:
                continue
            relpath = file_of(edge.caller)
            if relpath not in wanted:
                continue
            caller_async = edge.caller in converted or functions[edge.caller].summary.is_async
            slot(relpath, "await_at" if caller_async else "bridge_at").add((edge.line, edge.col))
    sites: dict[str, dict[tuple[int, int], str]] = {}
    for name, found in graph.sites.items():
        if name in functions and file_of(name) in wanted:
            for site in found:
                sites.setdefault(file_of(name), {})[(site.line, site.col)] = site.operation.name
    result = {}
    for relpath in wanted:
        parts = contexts.get(relpath, {})
        module = next((m.name for m in graph.resolver.index.modules.values()
                       if m.file.relpath == relpath), "")
        result[relpath] = FileContext(
            module=module,
            make_async=frozenset(str(q) for q in parts.get("make_async", ())),
            await_at=frozenset(p for p in parts.get("await_at", ()) if isinstance(p, tuple)),
            bridge_at=frozenset(p for p in parts.get("bridge_at", ()) if isinstance(p, tuple)),
            sites=sites.get(relpath, {}),
        )
    return result


def example_context(source: str, converts: Converts) -> FileContext:
    """The context of a one-module project made of ``source`` (rule examples and tests)."""
    import tempfile
    from pathlib import Path

    from .api import analyse_project

    with tempfile.TemporaryDirectory(prefix="asyncify-example-") as tmp:
        (Path(tmp) / "example.py").write_text(source, encoding="utf-8")
        _, graph, _ = analyse_project(Path(tmp), use_cache=False)
        return conversion_contexts(graph, ["example.py"], converts)["example.py"]
