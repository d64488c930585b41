"""Per-endpoint, per-variant health over a sliding time window, in one worker.

The guardrail reads it directly; ``flags status`` reads what each worker publishes (counts and
a bounded sample of latencies, so percentiles can be merged across workers).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._store import worker_id

#: Latencies published per endpoint and variant (enough for a p99 over one worker's window).
PUBLISHED_SAMPLES = 500


def percentile(values: list[float], q: float, *, ordered: bool = False) -> float | None:
    """Nearest-rank percentile (``q`` in 0-1) of ``values`` (already sorted if ``ordered``);
    ``None`` when empty."""
    if not values:
        return None
    if not ordered:
        values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


@dataclass(frozen=True)
class Health:
    """One variant of one endpoint over the window."""

    requests: int
    errors: int
    p50: float | None
    p99: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @classmethod
    def of(cls, samples: Iterable[tuple[float, float, bool]]) -> Health:
        latencies, errors = [], 0
        for _, latency, error in samples:
            latencies.append(latency)
            errors += error
        latencies.sort()
        return cls(len(latencies), errors, percentile(latencies, 0.5, ordered=True),
                   percentile(latencies, 0.99, ordered=True))


class Window:
    """Samples ``(time, latency_s, error)`` per ``(flag, variant)`` younger than ``seconds``
    (at most the last ``max_samples``: the guardrail sorts them every check, so a busy
    endpoint's window must stay cheap), and shadow outcomes per flag."""

    def __init__(self, seconds: float = 60.0, max_samples: int = 2_000) -> None:
        self.seconds = seconds
        self.max_samples = max_samples
        self._samples: dict[tuple[str, str], collections.deque[tuple[float, float, bool]]] = {}
        self._shadow: dict[str, collections.deque[tuple[float, str]]] = {}

    def record(self, flag: str, variant: str, latency: float, error: bool,
               at: float | None = None) -> None:
        """One answer; ``at`` is its ``time.perf_counter()`` (the window's clock)."""
        queue = self._samples.get((flag, variant))
        if queue is None:
            queue = self._samples[flag, variant] = collections.deque(maxlen=self.max_samples)
        queue.append((time.perf_counter() if at is None else at, latency, error))

    def record_shadow(self, flag: str, outcome: str) -> None:
        queue = self._shadow.get(flag)
        if queue is None:
            queue = self._shadow[flag] = collections.deque(maxlen=self.max_samples)
        queue.append((time.perf_counter(), outcome))

    def _fresh(self, queue: collections.deque[Any]) -> collections.deque[Any]:
        horizon = time.perf_counter() - self.seconds
        while queue and queue[0][0] < horizon:
            queue.popleft()
        return queue

    def health(self, flag: str, variant: str) -> Health:
        return Health.of(self._fresh(self._samples.get((flag, variant), collections.deque())))

    def forget(self, flag: str, variant: str) -> None:
        """Drop a variant's samples (after a rollback they describe code no longer serving)."""
        self._samples.pop((flag, variant), None)

    def shadow_counts(self, flag: str) -> dict[str, int]:
        return dict(collections.Counter(
            o for _, o in self._fresh(self._shadow.get(flag, collections.deque()))))

    def snapshot(self) -> dict[str, Any]:
        """This worker's window, as published for ``flags status``."""
        flags: dict[str, Any] = {}
        for (flag, variant), queue in list(self._samples.items()):
            samples = list(self._fresh(queue))
            if not samples:
                continue
            step = max(1, len(samples) // PUBLISHED_SAMPLES)
            flags.setdefault(flag, {})[variant] = {
                "requests": len(samples), "errors": sum(e for _, _, e in samples),
                "latencies": [round(lat, 6) for _, lat, _ in samples[::step]],
            }
        for flag in list(self._shadow):
            counts = self.shadow_counts(flag)
            if counts:
                flags.setdefault(flag, {})["shadow_outcomes"] = counts
        return {"worker": worker_id(), "ts": time.time(), "window": self.seconds,
                "flags": flags}


def merge(docs: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Workers' snapshots merged per flag: per variant (``legacy``, ``async``, ``shadow``:
    the shadow runs) requests, errors, error rate, p50, p99; and ``shadow_outcomes`` with
    the mismatch rate (mismatches over compared runs)."""
    raw: dict[str, dict[str, Any]] = {}
    for doc in docs:
        for flag, variants in doc.get("flags", {}).items():
            into = raw.setdefault(flag, {})
            for variant, data in variants.items():
                if variant == "shadow_outcomes":
                    counts = into.setdefault("shadow_outcomes", collections.Counter())
                    counts.update(data)
                    continue
                slot = into.setdefault(variant, {"requests": 0, "errors": 0, "latencies": []})
                slot["requests"] += data["requests"]
                slot["errors"] += data["errors"]
                slot["latencies"] += data["latencies"]
    out: dict[str, dict[str, Any]] = {}
    for flag, variants in raw.items():
        summary: dict[str, Any] = {}
        for variant, data in variants.items():
            if variant == "shadow_outcomes":
                compared = data.get("match", 0) + data.get("mismatch", 0)
                summary["shadow_outcomes"] = {**data, "mismatch_rate":
                                     data.get("mismatch", 0) / compared if compared else None}
                continue
            n = data["requests"]
            summary[variant] = {
                "requests": n, "errors": data["errors"],
                "error_rate": data["errors"] / n if n else 0.0,
                "p50": percentile(data["latencies"], 0.5),
                "p99": percentile(data["latencies"], 0.99),
            }
        out[flag] = summary
    return out
