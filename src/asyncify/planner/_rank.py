"""Score each endpoint and order the rollout in waves.

- **benefit**: the I/O the endpoint waits on, weighted by category (a call in a loop counts
  twice); async only pays where a request waits.
- **effort**: functions that must turn async, plus 3 for every construct needing a human.
- **score** = 10 * benefit / sqrt(1 + effort), halved when CPU-heavy work would still hold the
  loop. Higher goes first.

Waves: (1) endpoints that go through *shared* I/O helpers, so that those helpers are converted
and proven once, early; (2) the other I/O endpoints; (3) I/O endpoints that need manual work or
are CPU-heavy; (4) endpoints with no I/O, where async brings no benefit.
"""

from __future__ import annotations

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
    2: "independent I/O endpoints",
    3: "needs manual work or CPU-heavy",
    4: "no benefit (no I/O)",
}


@dataclass(frozen=True, slots=True)
class Ranking:
    score: float
    benefit: float
    effort: int
    wave: int
    verdict: str


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
        CATEGORY_WEIGHT.get(call.category, DEFAULT_WEIGHT) * (2 if call.in_loop else 1)
        for call in analysis.blocking
    )
    effort = len(analysis.convert) + 3 * len(analysis.manual)
    score = 10 * benefit / math.sqrt(1 + effort)
    if analysis.cpu_hints:
        score /= 2
    if not analysis.has_io:
        wave, verdict = 4, "no benefit: no I/O" + (", CPU-bound" if analysis.cpu_hints else "")
    elif analysis.manual or analysis.cpu_hints:
        wave = 3
        verdict = (
            "needs manual work" if analysis.manual
            else "CPU-heavy: offload that part to a thread"
        )
    elif analysis.shared:
        wave, verdict = 1, "convert"
    else:
        wave, verdict = 2, "convert"
    return Ranking(round(score, 1), benefit, effort, wave, verdict)
