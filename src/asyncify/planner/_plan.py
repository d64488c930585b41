"""The plan as data: built once from the index, rendered by separate functions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .._callgraph import CallGraph
from .._diagnostics import Diagnostic
from .._endpoints import discover_endpoints
from ._analysis import EndpointAnalysis, Step, analyse
from ._measure import Disagreement, Measured, ProfileSummary
from ._rank import WAVES, Ranking, cover_shared, mark_shared, rank

SCHEMA = "asyncify.plan/1"


@dataclass(frozen=True)
class PlannedEndpoint:
    analysis: EndpointAnalysis
    ranking: Ranking
    position: int
    measured: Measured | None = None  # with --profile, when the profile saw this endpoint
    disagreements: tuple[Disagreement, ...] = ()


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
    profile: ProfileSummary | None = None

    @property
    def with_io(self) -> int:
        return sum(1 for e in self.endpoints if e.analysis.has_io)


def build_plan(graph: CallGraph, root: str, files: int, lines: int, parsed: int) -> Plan:
    endpoints, diagnostics = discover_endpoints(graph.resolver)
    analyses = [analyse(graph, endpoint) for endpoint in endpoints]
    shared = mark_shared(analyses)
    planned, waves = order([(a, rank(a)) for a in analyses], shared)
    helper_steps = {
        step.function: step for a in analyses for step in a.convert if step.function in shared
    }
    return Plan(root, files, lines, parsed, planned, waves, shared, helper_steps, diagnostics)


def order(
    ranked: list[tuple[EndpointAnalysis, Ranking]], shared: dict[str, list[str]]
) -> tuple[list[PlannedEndpoint], list[Wave]]:
    """The rollout order and its waves: by wave, then measured priority (when a profile
    measured the endpoint), then static score."""
    ranked = sorted(ranked, key=lambda pair: (
        pair[1].wave, pair[1].priority is None, -(pair[1].priority or 0.0), -pair[1].score,
        pair[0].endpoint.path, pair[0].endpoint.methods,
    ))
    first = cover_shared(ranked, set(shared))
    position = {id(a): i for i, (a, _) in enumerate(first)}
    ranked = [(a, replace(r, wave=1) if id(a) in position else r) for a, r in ranked]
    ranked.sort(key=lambda pair: (pair[1].wave, position.get(id(pair[0]), 0)))
    planned = [PlannedEndpoint(a, r, i) for i, (a, r) in enumerate(ranked, 1)]
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
    return planned, waves
