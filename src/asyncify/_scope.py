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
from dataclasses import dataclass, field

from ._callgraph import CallGraph
from .codemods import FileContext

Converts = Callable[[str], bool]

# Manual-work kinds that forbid turning the function itself async, and why (the marker text).
_BLOCKERS = {
    "cache": "a cache decorator would store the coroutine, not its result: cache the awaited "
             "value (e.g. async-lru) and then make it async",
    "property": "a property cannot be awaited: turn it into an async method",
    "dunder": "this special method cannot be async: move the I/O into an async method",
    "callback": "it is passed as a value to code that calls it synchronously",
}


def conversion_contexts(
    graph: CallGraph, files: Iterable[str], converts: Converts,
    keep_sync: Iterable[str] = (),
) -> dict[str, FileContext]:
    """Per file (relative path), what to make async and which call sites to await.

    ``keep_sync`` names functions that must stay sync whatever they reach (and so must their
    callers): e.g. methods of objects the legacy code creates, when only twins are written.
    """
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
    # Functions that reach only converted I/O but cannot be async themselves: they stay sync
    # (their callers too) and get a marker saying why.
    blocked: dict[str, str] = {}
    for items in graph.manual.values():
        for m in items:
            if m.kind in _BLOCKERS and m.function in functions:
                blocked.setdefault(m.function, _BLOCKERS[m.kind])
    for name, edges in graph.edges.items():
        for edge in edges:
            if edge.kind == "decorator" and name in functions:
                blocked.setdefault(name, f"its decorator {edge.callee.rpartition('.')[2]} "
                                   "wraps it in a sync function: make the wrapper async "
                                   "(async def, await the call), then this can follow")
    stuck.update(blocked)
    stuck.update(keep_sync)
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
    parts: dict[str, _FileParts] = {relpath: _FileParts() for relpath in wanted}
    for name in make_async:
        parts[file_of(name)].make_async.add(functions[name].summary.qualname)
    for name, reason in blocked.items():
        if name in graph.blocking and file_of(name) in wanted:
            parts[file_of(name)].blocked[functions[name].summary.qualname] = reason
    for callee in converted:
        for edge in graph.callers.get(callee, ()):
            if edge.kind != "call" or not edge.col or edge.caller not in functions:
                continue
            relpath = file_of(edge.caller)
            if relpath not in wanted:
                continue
            caller_async = edge.caller in converted or functions[edge.caller].summary.is_async
            target = parts[relpath].await_at if caller_async else parts[relpath].bridge_at
            target.add((edge.line, edge.col))
    for name, found in graph.sites.items():
        if name in functions and file_of(name) in wanted:
            for site in found:
                parts[file_of(name)].sites[(site.line, site.col)] = site.operation.name
    modules = {m.file.relpath: m.name for m in graph.resolver.index.modules.values()}
    return {
        relpath: FileContext(
            module=modules.get(relpath, ""),
            make_async=frozenset(part.make_async),
            await_at=frozenset(part.await_at),
            bridge_at=frozenset(part.bridge_at),
            sites=part.sites,
            blocked=part.blocked,
        )
        for relpath, part in parts.items()
    }


@dataclass
class _FileParts:
    make_async: set[str] = field(default_factory=set)
    await_at: set[tuple[int, int]] = field(default_factory=set)
    bridge_at: set[tuple[int, int]] = field(default_factory=set)
    sites: dict[tuple[int, int], str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)


def example_context(source: str, converts: Converts) -> FileContext:
    """The context of a one-module project made of ``source`` (rule examples and tests)."""
    import tempfile
    from pathlib import Path

    from .api import analyse_project

    with tempfile.TemporaryDirectory(prefix="asyncify-example-") as tmp:
        (Path(tmp) / "example.py").write_text(source, encoding="utf-8")
        _, graph, _ = analyse_project(Path(tmp), use_cache=False)
        return conversion_contexts(graph, ["example.py"], converts)["example.py"]
