"""Score each endpoint and order the rollout in waves.

- **benefit**: the I/O waits of one request, weighted by category: each blocking call counts
  once per static call chain that reaches it (a call in a loop counts twice); async only pays
  where a request waits.
- **effort**: functions that must turn async, plus 3 for every construct needing a human.
- **score** = 10 * benefit / sqrt(1 + effort), halved when CPU-heavy work would still hold the
  loop. Higher goes first.

Waves: (1) the fewest endpoints that, together, go through every *shared* I/O helper (picked
greedily, most helpers covered first), so those helpers are converted and proven early;
(2) the other I/O endpoints, which then reuse the converted helpers; (3) I/O endpoints that need
manual work or are CPU-heavy; (4) endpoints with no I/O, where async brings no benefit.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from ._analysis import EndpointAnalysis

CATEGORY_WEIGHT = {
    "http": 3.0, "db": 3.0, "cache": 2.0, "smtp": 3.0, "cloud": 3.0, "socket": 2.0,
    "subprocess": 2.0, "sleep": 2.0, "file": 1.0, "input": 1.0,
}  # fmt: skip
DEFAULT_WEIGHT = 2.0

WAVES = {
    1: "shared helpers first",
    2: "the other I/O endpoints (reusing converted helpers)",
    3: "needs manual work or CPU-heavy",
    4: "no benefit (no I/O)",
}


@dataclass(frozen=True)
class Ranking:
    score: float
    benefit: float
    effort: int
    wave: int
    verdict: str
    # Measured priority (``--profile``): I/O seconds async would free; None when unmeasured.
    priority: float | None = None


def mark_shared(analyses: list[EndpointAnalysis]) -> dict[str, list[str]]:
    """Helpers (not handlers) that two or more endpoints would convert: helper → endpoint ids."""
    users: dict[str, list[str]] = {}
    for analysis in analyses:
        own = set(analysis.endpoint.handlers.values())
        for step in analysis.convert:
            if step.function not in own:
                users.setdefault(step.function, []).append(analysis.endpoint.id)
    shared = {f: ids for f, ids in sorted(users.items()) if len(set(ids)) > 1}
    for analysis in analyses:
        analysis.shared = [s.function for s in analysis.convert if s.function in shared]
    return shared


def rank(analysis: EndpointAnalysis) -> Ranking:
    benefit = sum(
        CATEGORY_WEIGHT.get(call.category, DEFAULT_WEIGHT) * call.count
        for call in analysis.blocking
    )
    effort = len(analysis.convert) + 3 * len(analysis.manual)
    score = 10 * benefit / math.sqrt(1 + effort)
    if analysis.cpu_hints:
        score /= 2
    hidden = any(m.kind == "dynamic-dispatch" for m in analysis.manual)
    if not analysis.has_io and hidden:
        wave, verdict = 3, "check by hand: dynamic dispatch hides its calls"
    elif not analysis.has_io:
        wave, verdict = 4, "no benefit: no I/O" + (", CPU-bound" if analysis.cpu_hints else "")
    elif analysis.manual or analysis.cpu_hints:
        wave = 3
        verdict = (
            "needs manual work" if analysis.manual
            else "CPU-heavy: offload that part to a thread"
        )
    else:
        wave, verdict = 2, "convert"
    return Ranking(round(score, 1), benefit, effort, wave, verdict)


def cover_shared(
    candidates: list[tuple[EndpointAnalysis, Ranking]], shared: set[str]
) -> list[tuple[EndpointAnalysis, Ranking]]:
    """Greedy set cover: the endpoints (in order) that first exercise every shared helper.

    Lazy greedy: a candidate's gain only shrinks as helpers get covered, so a stale heap entry
    is re-scored and pushed back instead of re-scoring every candidate each round.
    """
    uncovered = set(shared)
    helpers = [set(a.shared) & uncovered for a, _ in candidates]
    heap = [
        (-len(h), r.priority is None, -(r.priority or 0.0), -r.score, i)
        for i, (h, (_, r)) in enumerate(zip(helpers, candidates, strict=True))
        if h and r.wave == 2
    ]
    heapq.heapify(heap)
    chosen: list[tuple[EndpointAnalysis, Ranking]] = []
    while uncovered and heap:
        neg_gain, unmeasured, neg_priority, neg_score, i = heapq.heappop(heap)
        gain = len(helpers[i] & uncovered)
        if gain == 0:
            continue
        if gain != -neg_gain:
            heapq.heappush(heap, (-gain, unmeasured, neg_priority, neg_score, i))
            continue
        uncovered -= helpers[i]
        chosen.append(candidates[i])
    return chosen
