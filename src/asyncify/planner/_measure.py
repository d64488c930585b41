"""What a profile measured for one endpoint, and where it disagrees with the static analysis.

- **priority** = requests * mean I/O seconds per request * (1 - CPU share): the thread time
  spent waiting on I/O over the profile's window, which is what async gives back. Halved when
  the endpoint is write-heavy (riskier to move: transactions), halved again when CPU-heavy
  (it would hold the event loop). With an access log only, the I/O time is the wall time of
  endpoints the static analysis finds I/O in (0 for the others), and the CPU share is unknown.
- **CPU-heavy**: at least ``CPU_HEAVY_MS`` of CPU per request, and more CPU than I/O time.
- **write-heavy**: on average at least one DB write every other request; with access logs
  only, a POST/PUT/PATCH/DELETE endpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..profile import FORMATS, Tally

CPU_HEAVY_MS = 10.0
ENOUGH_SAMPLES = 20  # below this, "the profile never saw X" is not evidence
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Timing:
    mean: float
    p50: float
    p95: float
    p99: float


@dataclass(frozen=True)
class Measured:
    """Per request means, in milliseconds; ``None`` where the sources cannot tell."""

    requests: float
    samples: int
    formats: tuple[str, ...]
    rps: float | None
    wall_ms: Timing | None
    cpu_ms: float | None
    db_ms: float | None
    http_ms: float | None
    io_ms: float | None
    other_ms: float | None  # wall - CPU - I/O: GIL, locks, pool waits, unhooked I/O
    db_calls: float | None
    http_calls: float | None
    write_share: float | None
    cpu_share: float | None
    io_share: float | None
    error_share: float
    cpu_heavy: bool | None
    write_heavy: bool


@dataclass(frozen=True)
class Disagreement:
    kind: str
    detail: str


@dataclass(frozen=True)
class SourceSummary:
    path: str
    format: str
    records: int
    malformed: int
    can: tuple[str, ...]
    cannot: tuple[str, ...]


@dataclass(frozen=True)
class UnmatchedRoute:
    method: str
    route: str
    requests: float


@dataclass(frozen=True)
class ProfileSummary:
    sources: tuple[SourceSummary, ...]
    requests: float
    matched: float
    window_s: float | None
    unmatched: tuple[UnmatchedRoute, ...]


ALL_MEASURES = ("traffic", "wall", "cpu", "db", "http", "writes")


def describe_source(path: str, fmt: str, records: int, malformed: int) -> SourceSummary:
    can = FORMATS.get(fmt, ())
    return SourceSummary(path, fmt, records, malformed, can,
                         tuple(m for m in ALL_MEASURES if m not in can))


def measure(tallies: list[Tally], methods: tuple[str, ...], window_s: float | None,
            static_io: bool) -> Measured:
    """Sum the tallies of the richest format present (never two sources for one request)."""
    best = max(tallies, key=lambda t: len(FORMATS.get(t.format, ())))
    use = [t for t in tallies if t.format == best.format]
    total = Tally(best.format)
    for tally in use:
        total.merge(tally)
    can = FORMATS[best.format]
    n = max(total.samples, 1)
    walls = sorted(total.walls)
    wall = _timing(walls)
    cpu = total.cpu_s / total.cpu_samples * 1000 if total.cpu_samples else None
    db = total.db_s / n * 1000 if "db" in can else None
    http = total.http_s / n * 1000 if "http" in can else None
    if db is not None and http is not None:
        io: float | None = db + http
    elif wall is not None:  # access logs: the wall time, where static analysis finds I/O
        io = wall.mean if static_io else 0.0
    else:
        io = None
    cpu_share = cpu / wall.mean if cpu is not None and wall and wall.mean > 0 else None
    io_share = io / wall.mean if io is not None and wall and wall.mean > 0 else None
    other = (max(wall.mean - (cpu or 0.0) - (io or 0.0), 0.0)
             if wall is not None and cpu is not None and "db" in can else None)
    writes = total.db_writes / n if "writes" in can else None
    write_heavy = (writes >= 0.5 if writes is not None
                   else any(m in UNSAFE_METHODS for m in methods))
    return Measured(
        requests=round(total.requests, 1),
        samples=total.samples,
        formats=(best.format,),
        rps=round(total.requests / window_s, 3) if window_s else None,
        wall_ms=wall,
        cpu_ms=_r(cpu),
        db_ms=_r(db),
        http_ms=_r(http),
        io_ms=_r(io),
        other_ms=_r(other),
        db_calls=_r(total.db_calls / n if "db" in can else None),
        http_calls=_r(total.http_calls / n if "http" in can else None),
        write_share=_r(total.db_writes / total.db_calls if "writes" in can and total.db_calls
                       else (0.0 if "writes" in can else None)),
        cpu_share=_r(cpu_share),
        io_share=_r(io_share),
        error_share=round(total.errors / n, 3),
        cpu_heavy=(cpu >= CPU_HEAVY_MS and cpu >= (io or 0.0)) if cpu is not None else None,
        write_heavy=write_heavy,
    )


def priority(m: Measured) -> float:
    if m.io_ms is None:
        return 0.0
    value = m.requests * m.io_ms / 1000 * (1 - min(m.cpu_share or 0.0, 1.0))
    if m.write_heavy:
        value /= 2
    if m.cpu_heavy:
        value /= 2
    return round(value, 3)


def disagreements(m: Measured, categories: dict[str, int], cpu_hints: bool
                  ) -> list[Disagreement]:
    found = []
    for category, label, calls in (("db", "DB", m.db_calls), ("http", "HTTP", m.http_calls)):
        if calls is None:
            continue
        ms = m.db_ms if category == "db" else m.http_ms
        if calls > 0 and category not in categories:
            found.append(Disagreement(
                f"unseen-{category}",
                f"the profile measures {label} time ({ms:g} ms, {calls:g} calls per request) "
                "the static analysis does not find: dynamic dispatch or a call the catalog "
                "does not know"))
        elif calls == 0 and category in categories and m.samples >= ENOUGH_SAMPLES:
            found.append(Disagreement(
                f"unmeasured-{category}",
                f"static analysis finds {label} calls, but none ran in {m.samples} sampled "
                "requests: a branch not taken, or I/O the profiler does not hook"))
    if m.cpu_heavy and not cpu_hints:
        found.append(Disagreement(
            "unseen-cpu", f"measured CPU-heavy ({m.cpu_ms:g} ms CPU per request) but the "
            "static analysis finds no CPU hint"))
    elif m.cpu_heavy is False and cpu_hints and m.samples >= ENOUGH_SAMPLES:
        found.append(Disagreement(
            "unmeasured-cpu", f"static CPU hints, but only {m.cpu_ms:g} ms CPU per request "
            "measured"))
    return found


def _timing(walls: list[float]) -> Timing | None:
    if not walls:
        return None

    def pct(q: float) -> float:
        return walls[min(len(walls) - 1, max(0, math.ceil(q * len(walls)) - 1))] * 1000

    return Timing(round(sum(walls) / len(walls) * 1000, 3), round(pct(0.5), 3),
                  round(pct(0.95), 3), round(pct(0.99), 3))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
