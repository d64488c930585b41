"""The call graph of the project's functions, and the blocking calls each one makes itself."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from ._catalog import Catalog, Heuristic, Operation
from ._endpoints import REGISTRATIONS
from ._index import Index
from ._resolve import FunctionDef, Resolver, Scope
from ._summary import Call, Construct, Ref, last_name

EdgeKind = Literal["call", "decorator", "nested", "callback", "property"]
Confidence = Literal["resolved", "heuristic"]

_CACHE_DECORATORS = frozenset({
    "functools.lru_cache", "functools.cache", "functools.cached_property",
    "cachetools.cached", "cachetools.func.ttl_cache", "cachetools.func.lru_cache",
})
# Methods of cache objects the index cannot type (Flask-Caching's ``cache = Cache(app)``:
# ``@cache.cached(timeout=60)``, ``@cache.memoize()``): they store what the function returns.
_CACHE_METHODS = frozenset({"cached", "memoize"})
_MAX_CHAINS = 1000
_PROPERTY_DECORATORS = frozenset({"builtins.property", "functools.cached_property"})


@dataclass(frozen=True, slots=True)
class Edge:
    caller: str
    callee: str
    line: int
    kind: EdgeKind = "call"
    in_loop: bool = False
    col: int = 0  # 1-based column of the call (0 when the edge is not a call site)


@dataclass(frozen=True, slots=True)
class Site:
    """One blocking (or CPU-heavy) call written in one function."""

    function: str
    operation: Operation
    target: str
    line: int
    col: int
    in_loop: bool
    confidence: Confidence
    # "read": an attribute read that does I/O (a lazy ORM relationship), not a call.
    kind: Literal["call", "read"] = "call"


@dataclass(frozen=True, slots=True)
class Manual:
    """A construct that stops ``await`` from propagating on its own (needs a human)."""

    kind: str
    function: str
    line: int
    detail: str
    at: str = ""  # where it is written, when not in ``function`` itself (a callback's caller)


@dataclass(slots=True)
class CallGraph:
    resolver: Resolver
    edges: dict[str, list[Edge]] = field(default_factory=dict)
    callers: dict[str, list[Edge]] = field(default_factory=dict)
    sites: dict[str, list[Site]] = field(default_factory=dict)
    # Attribute reads that do I/O (catalog ``[[attribute]]``), per function. Kept apart from
    # ``sites``: ``plan`` and ``check`` report them, but await propagation does not follow
    # them (a lazy load is fixed at the query or with run_sync, not by awaiting the read).
    reads: dict[str, list[Site]] = field(default_factory=dict)
    manual: dict[str, list[Manual]] = field(default_factory=dict)
    cpu_hints: dict[str, list[Construct]] = field(default_factory=dict)
    blocking: set[str] = field(default_factory=set)
    # The last part of every project function's name (``get_book``, ``price``).
    short_names: frozenset[str] = frozenset()

    @property
    def functions(self) -> dict[str, FunctionDef]:
        return self.resolver.functions

    def add_edge(self, edge: Edge) -> None:
        self.edges.setdefault(edge.caller, []).append(edge)
        self.callers.setdefault(edge.callee, []).append(edge)

    def reach(
        self, roots: Iterable[str], follow: Callable[[str, Edge], bool] | None = None
    ) -> dict[str, Edge | None]:
        """Every function reachable from ``roots``, each with the edge that first reached it
        (breadth first, so following those edges back gives a shortest call path). With
        ``follow``, only edges it accepts (given the caller and the edge) are taken."""
        parent: dict[str, Edge | None] = {}
        queue: deque[str] = deque()
        for root in roots:
            if root not in parent:
                parent[root] = None
                queue.append(root)
        while queue:
            current = queue.popleft()
            for edge in self.edges.get(current, ()):
                if edge.callee not in parent and (follow is None or follow(current, edge)):
                    parent[edge.callee] = edge
                    queue.append(edge.callee)
        return parent

    def chains(self, roots: Iterable[str], reached: Iterable[str]) -> dict[str, int]:
        """How many call chains lead from ``roots`` to each reached function: a static count
        of how often it runs per request (a call in a loop counts twice, recursion once)."""
        inside = set(reached)
        order: list[str] = []
        back: set[tuple[str, str]] = set()
        state: dict[str, int] = {}  # 1: on the DFS stack, 2: done
        for root in roots:
            if root in state:
                continue
            stack = [(root, iter(self.edges.get(root, ())))]
            state[root] = 1
            while stack:
                node, pending = stack[-1]
                for edge in pending:
                    if edge.callee not in inside:
                        continue
                    seen = state.get(edge.callee)
                    if seen == 1:
                        back.add((node, edge.callee))
                    elif seen is None:
                        state[edge.callee] = 1
                        stack.append((edge.callee, iter(self.edges.get(edge.callee, ()))))
                        break
                else:
                    state[node] = 2
                    order.append(node)
                    stack.pop()
        count = dict.fromkeys(roots, 1)
        for node in reversed(order):
            here = count.get(node, 0)
            for edge in self.edges.get(node, ()):
                if edge.callee in inside and (node, edge.callee) not in back:
                    gained = here * (2 if edge.in_loop else 1)
                    count[edge.callee] = min(count.get(edge.callee, 0) + gained, _MAX_CHAINS)
        return count

    def path(self, parent: dict[str, Edge | None], function: str) -> list[Edge]:
        steps: list[Edge] = []
        edge = parent.get(function)
        while edge is not None:
            steps.append(edge)
            edge = parent.get(edge.caller)
        return steps[::-1]


def _unresolved_cache_decorator(resolver: Resolver, fn: FunctionDef) -> str | None:
    """``obj.cached`` for ``@obj.cached(...)``/``@obj.memoize(...)`` on an object whose type
    the index does not know (an extension's instance), if ``fn`` has such a decorator."""
    where = None
    for ref in fn.summary.decorators:
        target = ref[1] if ref[0] == "c" else ref
        if target[0] != "a" or target[2] not in _CACHE_METHODS:
            continue
        where = where or resolver.definition_scope(fn)
        value = resolver.resolve(target, where)
        if value is None or value.kind != "sym":
            owner = target[1]
            name = owner[1] if owner[0] == "n" else "…"
            return f"{name}.{target[2]}"
    return None


def build_callgraph(index: Index, catalog: Catalog) -> CallGraph:
    resolver = Resolver(index, catalog)
    graph = CallGraph(resolver)
    graph.short_names = frozenset(q.rpartition(".")[2] for q in resolver.functions)
    heuristics = [h for h in catalog.heuristics if h.requires_import in resolver.imported_packages]
    io_attrs = _io_attribute_names(resolver, catalog)
    for fn in resolver.functions.values():
        scope = resolver.scope_of(fn)
        if fn.parent is not None:
            # A closure runs when its parent calls it or hands it out (decorator wrappers).
            graph.add_edge(Edge(fn.parent, fn.qname, fn.summary.line, "nested"))
        for call in fn.summary.calls:
            _add_call(graph, fn, scope, call, heuristics)
        for name in resolver.decorator_names(fn):
            target = graph.functions.get(name)
            if target is not None:
                # A user decorator's wrapper runs on every call of the function it wraps.
                graph.add_edge(Edge(fn.qname, target.qname, fn.summary.line, "decorator"))
            if name in _CACHE_DECORATORS:
                graph.manual.setdefault(fn.qname, []).append(Manual(
                    "cache", fn.qname, fn.summary.line,
                    f"@{name.rpartition('.')[2]} would cache the coroutine, not its result"))
            if name in _PROPERTY_DECORATORS:
                graph.manual.setdefault(fn.qname, []).append(Manual(
                    "property", fn.qname, fn.summary.line, "a property cannot be awaited"))
        cache = _unresolved_cache_decorator(resolver, fn)
        if cache is not None and not any(m.kind == "cache"
                                         for m in graph.manual.get(fn.qname, ())):
            graph.manual.setdefault(fn.qname, []).append(Manual(
                "cache", fn.qname, fn.summary.line,
                f"@{cache} would cache the coroutine, not its result"))
        if fn.cls is not None:
            _property_reads(graph, fn)
        if io_attrs:
            _attribute_reads(graph, fn, scope, io_attrs)
        _record_constructs(graph, fn)
    for body in resolver.bodies.values():
        # Module-level code runs at import time: its calls are not on any request path, but a
        # function passed from there as a callback still matters.
        _mark_callbacks(graph, body.fn.calls, body, body.qname)
    _propagate_blocking(graph)
    return graph


def _add_call(
    graph: CallGraph, fn: FunctionDef, scope: Scope, call: Call, heuristics: list[Heuristic]
) -> None:
    resolver = graph.resolver
    ref = call.ref
    value = resolver.resolve(ref[1], scope)
    if value is not None and value.kind == "sym":
        target = value.qname
        if target in graph.functions:
            graph.add_edge(Edge(fn.qname, target, call.line, "call", call.in_loop, call.col))
        elif target in resolver.classes:
            init = resolver.lookup_method(target, "__init__")
            if init is not None:
                graph.add_edge(Edge(fn.qname, init, call.line, "call", call.in_loop, call.col))
            for base in resolver.external_bases(target):
                _add_site(graph, fn, base, call, "resolved")
        else:
            _add_site(graph, fn, target, call, "resolved")
    elif value is not None and value.kind == "obj" and value.qname in resolver.classes:
        dunder = resolver.lookup_method(value.qname, "__call__")
        if dunder is not None:
            graph.add_edge(Edge(fn.qname, dunder, call.line, "call", call.in_loop, call.col))
    elif value is None and ref[1][0] == "a":
        receiver = last_name(ref[1][1])
        method = ref[1][2]
        for heuristic in heuristics:
            if method in heuristic.methods and receiver in heuristic.receiver_names:
                graph.sites.setdefault(fn.qname, []).append(Site(
                    fn.qname,
                    _heuristic_operation(heuristic, method),
                    f"{receiver}.{method}",
                    call.line, call.col, call.in_loop, "heuristic"))
    _mark_callbacks(graph, [call], scope, fn.qname)


def _heuristic_operation(heuristic: Heuristic, method: str) -> Operation:
    return Operation(
        name=f"{heuristic.requires_import}:*.{method}",
        category=heuristic.category,
        replacement="see the catalog entry for the driver",
        note=heuristic.note,
        source=heuristic.source,
    )


def _add_site(graph: CallGraph, fn: FunctionDef, target: str, call: Call, how: Confidence) -> None:
    op = graph.resolver.catalog.operation(target)
    if op is not None:
        graph.sites.setdefault(fn.qname, []).append(
            Site(fn.qname, op, target, call.line, call.col, call.in_loop, how))


def _mark_callbacks(graph: CallGraph, calls: list[Call], scope: Scope, owner: str) -> None:
    """Record functions handed to other callables as values (``sorted(key=f)``, ``Thread(
    target=f)``, ``map(f, xs)``): if they turn async, the callee gets a coroutine."""
    resolver = graph.resolver
    short_names = graph.short_names
    for call in calls:
        _, func, args, kwargs, _, _ = call.ref
        if func[0] == "a" and func[2] in REGISTRATIONS:
            continue
        for arg in (*args, *(value for _, value in kwargs)):
            # Only a name that some project function has can denote one: skip the rest
            # without resolving them (most arguments are plain values).
            if arg[0] == "n":
                if arg[1] not in short_names:
                    continue
            elif arg[0] != "a" or arg[2] not in short_names:
                continue
            value = resolver.resolve(arg, scope)
            if value is not None and value.kind == "sym" and value.qname in graph.functions:
                if owner in graph.functions:
                    # The callee will most likely call it (sorted(key=f), map(f, xs)).
                    graph.add_edge(Edge(owner, value.qname, call.line, "callback"))
                graph.manual.setdefault(value.qname, []).append(Manual(
                    "callback", value.qname, call.line,
                    f"passed as a value in {owner} (line {call.line}); "
                    "a sync caller would get an un-awaited coroutine", owner))


def _property_reads(graph: CallGraph, fn: FunctionDef) -> None:
    """``self.balance`` where ``balance`` is a property: reading it calls the getter."""
    assert fn.cls is not None
    resolver = graph.resolver
    for attr, line in fn.summary.self_reads:
        method = resolver.lookup_method(fn.cls, attr)
        if method is None or method == fn.qname:
            continue
        if _PROPERTY_DECORATORS & set(resolver.decorator_names(graph.functions[method])):
            graph.add_edge(Edge(fn.qname, method, line, "property"))


def _io_attribute_names(resolver: Resolver, catalog: Catalog) -> frozenset[str]:
    """Names of class attributes made by a call that may be a catalog ``[[attribute]]``
    constructor (``tags = db.relationship(...)``), told by the callee's last name (or a name
    it is imported as): only reads of these names are worth resolving."""
    shorts = {name.rpartition(".")[2] for name in catalog.attributes}
    for module in resolver.index.modules.values():
        for imp in module.summary.imports:
            if imp.name is not None and imp.local != imp.name and catalog.attribute(
                    resolver.import_target(module, imp)):
                shorts.add(imp.local)  # ``from sqlalchemy.orm import relationship as rel``
    found: set[str] = set()
    for cls in resolver.classes.values():
        for attr, ref in cls.summary.attrs.items():
            if ref[0] == "c" and last_name(ref[1]) in shorts:
                found.add(attr)
    return frozenset(found)


def _attribute_reads(
    graph: CallGraph, fn: FunctionDef, scope: Scope, names: frozenset[str]
) -> None:
    """``note.tags`` on an instance of a known class whose ``tags`` the catalog says loads on
    read: a site of kind "read" (an unknown receiver is not evidence)."""
    resolver = graph.resolver
    loaded: set[Ref] = set()
    for ref, line, col, in_loop in fn.summary.reads:
        attr = ref[2]
        # Once loaded, the attribute stays loaded on that object: the first read counts.
        if attr not in names or ref in loaded:
            continue
        loaded.add(ref)
        base = resolver.resolve(ref[1], scope)
        if base is None or base.kind != "obj" or base.qname not in resolver.classes:
            continue
        found = resolver.attribute_io(base.qname, attr)
        if found is None:
            continue
        spec, owner = found
        op = Operation(f"{owner}.{attr}", spec.category, spec.replacement, spec.note, spec.source)
        graph.reads.setdefault(fn.qname, []).append(Site(
            fn.qname, op, f"{base.qname}.{attr}", line, col, in_loop, "resolved",
            "read"))


def _record_constructs(graph: CallGraph, fn: FunctionDef) -> None:
    summary = fn.summary
    name = summary.qualname.rpartition(".")[2]
    for construct in summary.constructs:
        graph.manual.setdefault(fn.qname, []).append(
            Manual(construct.kind, fn.qname, construct.line, construct.detail))
    if summary.yields and not graph.resolver.is_context_manager(fn):
        graph.manual.setdefault(fn.qname, []).append(Manual(
            "generator", fn.qname, summary.line,
            "a generator becomes an async generator; its consumers need 'async for'"))
    if fn.cls is not None and name.startswith("__") and name.endswith("__") and name not in (
        "__init__", "__call__", "__enter__", "__exit__"
    ):
        graph.manual.setdefault(fn.qname, []).append(Manual(
            "dunder", fn.qname, summary.line, f"{name} cannot be async"))
    if fn.cls is not None and name == "__init__":
        graph.manual.setdefault(fn.qname, []).append(Manual(
            "dunder", fn.qname, summary.line,
            "__init__ cannot be async; move the I/O to an async factory"))
    if summary.cpu_hints:
        graph.cpu_hints[fn.qname] = list(summary.cpu_hints)


def _propagate_blocking(graph: CallGraph) -> None:
    """Mark every function that reaches an I/O call, directly or through callees."""
    graph.blocking.update(reaching_io(graph))


def reaching_io(graph: CallGraph, kinds: frozenset[EdgeKind] | None = None) -> set[str]:
    """Functions with an I/O call of their own, and those reaching one through edges of
    ``kinds`` (any kind when ``None``)."""
    found = {
        name for name, sites in graph.sites.items()
        if any(s.operation.io and s.operation.category != "cpu" for s in sites)
    }
    queue = deque(found)
    while queue:
        current = queue.popleft()
        for edge in graph.callers.get(current, ()):
            if (kinds is None or edge.kind in kinds) and edge.caller not in found:
                found.add(edge.caller)
                queue.append(edge.caller)
    return found
