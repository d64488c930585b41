"""The plan as data: built once from the index, rendered by separate functions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .._callgraph import CallGraph
from .._diagnostics import Diagnostic
from .._endpoints import discover_endpoints
from ._analysis import EndpointAnalysis, Step, analyse
from ._rank import WAVES, Ranking, cover_shared, mark_shared, rank

SCHEMA = "asyncify.plan/1"


@dataclass(frozen=True)
class PlannedEndpoint:
    analysis: EndpointAnalysis
    ranking: Ranking
    position: int


@dataclass(frozen=True)
class Wave:
    number: int
    title: str
    endpoints: tuple[str, ...]
    helpers: tuple[str, ...]


@dataclass
class Plan:
    root: str
    files: int
    lines: int
    parsed: int
    endpoints: list[PlannedEndpoint]
    waves: list[Wave]
    shared: dict[str, list[str]]
    helper_steps: dict[str, Step]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def with_io(self) -> int:
        return sum(1 for e in self.endpoints if e.analysis.has_io)


def build_plan(graph: CallGraph, root: str, files: int, lines: int, parsed: int) -> Plan:
    endpoints, diagnostics = discover_endpoints(graph.resolver)
    analyses = [analyse(graph, endpoint) for endpoint in endpoints]
    shared = mark_shared(analyses)
    ranked = [(a, rank(a)) for a in analyses]
    ranked.sort(key=lambda pair: (
        pair[1].wave, -pair[1].score, pair[0].endpoint.path, pair[0].endpoint.methods,
    ))
    first = cover_shared(ranked, set(shared))
    order = {id(a): i for i, (a, _) in enumerate(first)}
    ranked = [(a, replace(r, wave=1) if id(a) in order else r) for a, r in ranked]
    ranked.sort(key=lambda pair: (pair[1].wave, order.get(id(pair[0]), 0)))
    planned = [PlannedEndpoint(a, r, i) for i, (a, r) in enumerate(ranked, 1)]
    helper_steps = {
        step.function: step for a in analyses for step in a.convert if step.function in shared
    }
    waves = []
    for number, title in WAVES.items():
        members = [p for p in planned if p.ranking.wave == number]
        if not members:
            continue
        helpers = sorted({h for p in members for h in p.analysis.shared}) if number == 1 else []
        if number == 3:
            # Shared helpers nobody in wave 1 reaches are first converted here.
            covered = {h for p in planned if p.ranking.wave == 1 for h in p.analysis.shared}
            helpers = sorted({h for p in members for h in p.analysis.shared} - covered)
        waves.append(Wave(number, title, tuple(p.analysis.endpoint.id for p in members),
                          tuple(helpers)))
    return Plan(root, files, lines, parsed, planned, waves, shared, helper_steps, diagnostics)
