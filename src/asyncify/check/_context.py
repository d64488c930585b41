"""What every rule asks of the call graph, computed once per run and shared."""

from __future__ import annotations

from dataclasses import dataclass, field

from .._callgraph import CallGraph, Edge, Site
from .._resolve import FunctionDef, Value
from .._summary import Call, Ref
from ._model import Finding, Step

# Edges along which a sync helper's body runs when it is called (a callback only runs if the
# callee calls it, and ``to_thread(helper)`` is exactly the fix).
_RUNS = frozenset({"call", "property", "decorator"})
# Calls that are not run here and now: in a lambda (runs later), or awaited (an async API).
_DEFERRED = frozenset({"lambda", "await"})


@dataclass(slots=True)
class Context:
    graph: CallGraph
    _below: dict[str, dict[str, Edge | None]] = field(default_factory=dict)
    _contexts: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    _async_names: set[str] | None = None

    @property
    def functions(self) -> dict[str, FunctionDef]:
        return self.graph.functions

    def async_functions(self) -> list[FunctionDef]:
        return [fn for fn in self.functions.values() if fn.summary.is_async]

    def is_coroutine_function(self, qname: str) -> bool:
        """An ``async def`` that is not an async generator (calling it needs ``await``)."""
        fn = self.functions.get(qname)
        return fn is not None and fn.summary.is_async and not fn.summary.yields

    def may_be_async(self, ref: Ref) -> bool:
        """A cheap filter before resolving: does ``ref`` end in the name of some async def?"""
        if self._async_names is None:
            self._async_names = {
                q.rpartition(".")[2] for q, fn in self.functions.items() if fn.summary.is_async
            }
        return ref[0] in ("n", "a") and ref[-1] in self._async_names

    def resolve(self, ref: Ref, fn: FunctionDef) -> Value | None:
        resolver = self.graph.resolver
        return resolver.resolve(ref, resolver.scope_of(fn))

    def path_of(self, qname: str) -> str:
        return self.functions[qname].module.file.relpath

    def short(self, qname: str) -> str:
        fn = self.functions.get(qname)
        return fn.summary.qualname if fn is not None else qname

    def context_of(self, qname: str, line: int, col: int) -> str:
        table = self._contexts.get(qname)
        if table is None:
            calls = self.functions[qname].summary.calls
            table = self._contexts[qname] = {(c.line, c.col): c.context for c in calls}
        return table.get((line, col), "")

    def live_calls(self, fn: FunctionDef) -> list[Call]:
        """Calls that run when ``fn`` runs and are not awaited."""
        return [c for c in fn.summary.calls if c.context not in _DEFERRED]

    def sites(self, qname: str) -> list[Site]:
        """Catalog operations ``qname`` calls itself, run here and now, then the attribute
        reads in it that do I/O (a lazy relationship load runs where it is read)."""
        return [
            s for s in self.graph.sites.get(qname, ())
            if self.context_of(qname, s.line, s.col) not in _DEFERRED
        ] + self.graph.reads.get(qname, [])

    def runs_inline(self, caller: str, edge: Edge) -> bool:
        """Whether ``edge`` runs a sync function's body inside ``caller`` right away."""
        if edge.kind not in _RUNS or self.functions[edge.callee].summary.is_async:
            return False
        if edge.kind != "call":
            return True
        on_line = [c.context for c in self.functions[caller].summary.calls if c.line == edge.line]
        return not on_line or any(c not in _DEFERRED for c in on_line)

    def below(self, start: str) -> dict[str, Edge | None]:
        """Every sync function whose body runs when ``start`` (sync) is called, breadth first,
        each with the edge that reached it."""
        found = self._below.get(start)
        if found is None:
            found = self._below[start] = self.graph.reach([start], self.runs_inline)
        return found

    def chain(self, parent: dict[str, Edge | None], function: str) -> list[Edge]:
        return self.graph.path(parent, function)

    def steps(self, first: Edge, chain: list[Edge]) -> tuple[Step, ...]:
        return tuple(
            Step(self.path_of(e.caller), e.line, self.short(e.caller),
                 f"calls {self.short(e.callee)}()")
            for e in (first, *chain)
        )

    def finding(
        self, rule: str, qname: str, line: int, col: int, message: str, key: str,
        steps: tuple[Step, ...] = (),
    ) -> Finding:
        return Finding(rule, self.path_of(qname), line, col, message, self.short(qname),
                       f"{rule}|{qname}|{key}", steps)

    def col_of(self, qname: str, line: int) -> int:
        for call in self.functions[qname].summary.calls:
            if call.line == line:
                return call.col
        return 1
