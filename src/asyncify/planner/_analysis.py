"""Per endpoint: the blocking calls it reaches (with call paths), the functions that would
have to become async, and the constructs that will need a human."""

from __future__ import annotations

from dataclasses import dataclass

from .._callgraph import CallGraph, Edge, Site
from .._endpoints import Endpoint


@dataclass(frozen=True)
class Step:
    """One hop of a call path: ``function`` (in ``file``) at ``line``."""

    function: str
    file: str
    line: int


@dataclass(frozen=True)
class BlockingCall:
    category: str
    operation: str
    call: str
    function: str
    file: str
    line: int
    col: int
    in_loop: bool
    confidence: str
    replacement: str
    note: str
    via_hook: str | None
    path: tuple[Step, ...]
    count: int = 1  # static count of how often it runs per request (call chains, loops x2)


@dataclass(frozen=True)
class Finding:
    """A manual-work construct or a CPU-heavy hint, located."""

    kind: str
    function: str
    file: str
    line: int
    detail: str


@dataclass
class EndpointAnalysis:
    endpoint: Endpoint
    blocking: list[BlockingCall]
    convert: list[Step]
    manual: list[Finding]
    cpu_hints: list[Finding]
    shared: list[str]

    @property
    def has_io(self) -> bool:
        return bool(self.blocking)

    @property
    def categories(self) -> dict[str, int]:
        """Per category, how many blocking calls a request makes (static count)."""
        counts: dict[str, int] = {}
        for call in self.blocking:
            counts[call.category] = counts.get(call.category, 0) + call.count
        return dict(sorted(counts.items()))


def analyse(graph: CallGraph, endpoint: Endpoint) -> EndpointAnalysis:
    handlers = list(dict.fromkeys(endpoint.handlers.values()))
    blocking: list[BlockingCall] = []
    cpu: list[Finding] = []
    reached: dict[str, Edge | None] = {}
    seen_sites: set[tuple[str, int, int, str]] = set()
    for roots, hook in [(handlers, None), *((([h], h)) for h in endpoint.hooks)]:
        parent = graph.reach(roots)
        chains = graph.chains(roots, parent)
        for function in parent:
            reached.setdefault(function, parent[function])
            for site in (*graph.sites.get(function, ()), *graph.reads.get(function, ())):
                # A chain (``s.query(X).all()``) puts several calls at one position.
                key = (site.function, site.line, site.col, site.target)
                if key in seen_sites:
                    continue
                seen_sites.add(key)
                if site.operation.category == "cpu":
                    cpu.append(_finding(graph, site.function, "cpu-call", site.line,
                                        f"{site.target}: {site.operation.note}"))
                elif site.operation.io:
                    count = max(chains.get(function, 1), 1) * (2 if site.in_loop else 1)
                    blocking.append(_blocking(
                        graph, site, hook, graph.path(parent, function), count))
    for function in reached:
        for hint in graph.cpu_hints.get(function, ()):
            cpu.append(_finding(graph, function, hint.kind, hint.line, hint.detail))
    convert = [f for f in reached if f in graph.blocking]
    manual = [
        _finding(graph, m.at or m.function, m.kind, m.line, m.detail)
        for f in convert for m in graph.manual.get(f, ())
    ]
    # Dynamic dispatch hides calls from the analysis: report it wherever the endpoint goes.
    manual += [
        _finding(graph, m.at or m.function, m.kind, m.line, m.detail)
        for f in reached if f not in graph.blocking
        for m in graph.manual.get(f, ()) if m.kind == "dynamic-dispatch"
    ]
    blocking.sort(key=lambda b: (len(b.path), b.file, b.line))
    return EndpointAnalysis(
        endpoint=endpoint,
        blocking=blocking,
        convert=[_step(graph, f) for f in convert],
        manual=_unique(manual),
        cpu_hints=_unique(cpu),
        shared=[],
    )


def _blocking(
    graph: CallGraph, site: Site, hook: str | None, edges: list[Edge], count: int
) -> BlockingCall:
    steps = [_step(graph, e.caller, e.line) for e in edges]
    steps.append(_step(graph, site.function, site.line))
    fn = graph.functions[site.function]
    return BlockingCall(
        category=site.operation.category,
        operation=site.operation.name,
        call=site.target,
        function=site.function,
        file=fn.module.file.relpath,
        line=site.line,
        col=site.col,
        in_loop=site.in_loop,
        confidence=site.confidence,
        replacement=site.operation.replacement,
        note=site.operation.note,
        via_hook=hook,
        path=tuple(steps),
        count=count,
    )


def _step(graph: CallGraph, function: str, line: int | None = None) -> Step:
    fn = graph.functions[function]
    return Step(function, fn.module.file.relpath, fn.summary.line if line is None else line)


def _finding(graph: CallGraph, function: str, kind: str, line: int, detail: str) -> Finding:
    fn = graph.functions.get(function)
    body = graph.resolver.bodies.get(function)
    module = fn.module if fn is not None else body.module if body is not None else None
    return Finding(kind, function, module.file.relpath if module else "", line, detail)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
