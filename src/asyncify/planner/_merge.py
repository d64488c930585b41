"""Merge measured traffic into a static plan: join on (method, URL rule), re-rank, flag where
the profile and the analysis disagree. The static plan (cached) is never modified."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from .._diagnostics import Diagnostic
from ..profile import ProfileData, Tally
from ._analysis import EndpointAnalysis
from ._measure import (
    Disagreement,
    Measured,
    ProfileSummary,
    UnmatchedRoute,
    describe_source,
    disagreements,
    measure,
    priority,
)
from ._plan import Plan, PlannedEndpoint, order
from ._rank import Ranking

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")
_PATTERNS = {"int": r"\d+", "float": r"\d+\.\d+", "path": r".+", "uuid": r"[0-9a-fA-F-]{36}"}


def merge_profile(plan: Plan, data: ProfileData) -> Plan:
    """A new plan with ``measured``, ``priority`` and disagreements filled in."""
    window = data.last_ts - data.first_ts if math.isfinite(data.first_ts) else 0.0
    window_s = window if window > 0 else None
    by_key: dict[tuple[str, str], PlannedEndpoint] = {}
    for p in plan.endpoints:
        for method in p.analysis.endpoint.methods:
            by_key.setdefault((method, p.analysis.endpoint.path), p)
    found: dict[int, list[Tally]] = {}
    unmatched: list[UnmatchedRoute] = []
    for (method, route), tallies in sorted(data.routes.items()):
        target = _find(by_key, method, route)
        if target is None:
            unmatched.append(UnmatchedRoute(method, route, round(sum(t.requests for t in tallies),
                                                                 1)))
        else:
            found.setdefault(id(target), []).extend(tallies)
    if data.paths:
        matchers = _matchers(plan)
        for (method, path), tally in sorted(data.paths.items()):
            target = _match_path(matchers, by_key, method, path)
            if target is None:
                unmatched.append(UnmatchedRoute(method, path, tally.requests))
            else:
                found.setdefault(id(target), []).append(tally)
    ranked: list[tuple[EndpointAnalysis, Ranking]] = []
    extra: dict[int, tuple[Measured, tuple[Disagreement, ...]]] = {}
    for p in plan.endpoints:
        a, r = p.analysis, p.ranking
        base = replace(r, wave=_static_wave(p), priority=None)
        seen = found.get(id(p))
        if not seen:
            ranked.append((a, base))
            continue
        m = measure(seen, a.endpoint.methods, window_s, a.has_io)
        issues = tuple(disagreements(m, a.categories, bool(a.cpu_hints)))
        wave, verdict = base.wave, base.verdict
        if wave == 4 and any(d.kind.startswith("unseen-") and d.kind != "unseen-cpu"
                             for d in issues):
            wave, verdict = 3, "check by hand: the profile measures I/O the analysis cannot see"
        elif wave == 2 and m.cpu_heavy:
            wave, verdict = 3, "CPU-heavy (measured): offload that part to a thread"
        ranked.append((a, replace(base, wave=wave, verdict=verdict, priority=priority(m))))
        extra[id(a)] = (m, issues)
    planned, waves = order(ranked, plan.shared)
    planned = [replace(p, measured=extra[id(p.analysis)][0],
                       disagreements=extra[id(p.analysis)][1]) if id(p.analysis) in extra else p
               for p in planned]
    total = data.requests
    matched = sum(p.measured.requests for p in planned if p.measured is not None)
    summary = ProfileSummary(
        sources=tuple(describe_source(s.path, s.format, s.records, s.malformed)
                      for s in data.sources),
        requests=round(total, 1),
        matched=round(matched, 1),
        window_s=round(window_s, 3) if window_s else None,
        unmatched=tuple(sorted(unmatched, key=lambda u: -u.requests)),
    )
    diagnostics = list(plan.diagnostics) + data.diagnostics + _problems(summary, data)
    return replace(plan, endpoints=planned, waves=waves, diagnostics=diagnostics,
                   profile=summary)


def _static_wave(p: PlannedEndpoint) -> int:
    """The wave before shared-helper cover promoted it (``order`` promotes again)."""
    if p.ranking.wave != 1:
        return p.ranking.wave
    return 2


def _find(by_key: dict[tuple[str, str], PlannedEndpoint], method: str, route: str
          ) -> PlannedEndpoint | None:
    found = by_key.get((method, route))
    if found is None and method == "HEAD":  # Flask answers HEAD with the GET view
        found = by_key.get(("GET", route))
    return found


def _matchers(plan: Plan) -> list[tuple[re.Pattern[str], str]]:
    rules = {p.analysis.endpoint.path for p in plan.endpoints
             if not p.analysis.endpoint.dynamic}
    out = []
    for rule in sorted(rules, key=lambda r: (r.count("<"), -len(r))):  # static rules first
        pattern, last = "", 0
        for match in _CONVERTER.finditer(rule):
            pattern += re.escape(rule[last:match.start()])
            pattern += "(?:" + _PATTERNS.get(match.group(1) or "default", r"[^/]+") + ")"
            last = match.end()
        pattern += re.escape(rule[last:])
        out.append((re.compile(pattern + r"\Z"), rule))
    return out


def _match_path(matchers: list[tuple[re.Pattern[str], str]],
                by_key: dict[tuple[str, str], PlannedEndpoint], method: str, path: str
                ) -> PlannedEndpoint | None:
    for pattern, rule in matchers:
        if pattern.match(path):
            found = _find(by_key, method, rule)
            if found is not None:
                return found
    return None


def _problems(summary: ProfileSummary, data: ProfileData) -> list[Diagnostic]:
    where = ", ".join(s.path for s in summary.sources) or "profile"
    out = []
    if summary.requests and not summary.matched:
        out.append(Diagnostic(where, f"none of the {summary.requests:g} profiled requests "
                              "matches an endpoint of this project",
                              "is the profile from another project or an older version?",
                              None, "warning"))
    elif summary.unmatched:
        routes = sum(1 for _ in summary.unmatched)
        requests = sum(u.requests for u in summary.unmatched)
        sample = ", ".join(f"{u.method} {u.route}" for u in summary.unmatched[:3])
        out.append(Diagnostic(where, f"{routes} profiled route(s) ({requests:g} requests) match "
                              f"no endpoint of this project, e.g. {sample}",
                              "renamed routes, or traffic for another service", None, "warning"))
    return out
